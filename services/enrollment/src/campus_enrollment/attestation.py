"""The attestation of completion: a clean A4 page (reportlab), built from the read models.

The agent's name comes from the erasable ``agent_profiles`` table; once erased, the page says
« agent <id> » instead.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

BLUE = colors.HexColor("#000091")  # the State's « bleu France »
RED = colors.HexColor("#E1000F")
GREY = colors.HexColor("#3A3A3A")


@dataclass(frozen=True)
class Attestation:
    attestation_id: UUID
    agent_id: UUID
    agent_name: str | None
    ministry: str
    course_title: str
    completed_at: datetime
    session_start: datetime | None = None
    session_end: datetime | None = None
    issued_on: date | None = None

    @property
    def who(self) -> str:
        return self.agent_name or f"agent {self.agent_id}"


def _day(value: datetime | date) -> str:
    return value.strftime("%d/%m/%Y")


def render(a: Attestation) -> bytes:
    buffer = io.BytesIO()
    width, height = A4
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=0)
    pdf.setTitle(f"Attestation de formation {a.attestation_id}")
    pdf.setAuthor("Campus du numérique public")
    # A thin tricolour band and the institution's name, as on the State's documents.
    pdf.setFillColor(BLUE)
    pdf.rect(0, height - 8 * mm, width / 2, 8 * mm, stroke=0, fill=1)
    pdf.setFillColor(RED)
    pdf.rect(width / 2, height - 8 * mm, width / 2, 8 * mm, stroke=0, fill=1)
    pdf.setFillColor(BLUE)
    pdf.setFont("Helvetica-Bold", 20)
    pdf.drawString(25 * mm, height - 35 * mm, "Campus du numérique public")
    pdf.setFont("Helvetica", 11)
    pdf.setFillColor(GREY)
    pdf.drawString(25 * mm, height - 42 * mm, "Direction interministérielle du numérique (DINUM)")

    pdf.setFillColor(colors.black)
    pdf.setFont("Helvetica-Bold", 26)
    pdf.drawCentredString(width / 2, height - 85 * mm, "Attestation de formation")
    pdf.setStrokeColor(BLUE)
    pdf.setLineWidth(1.2)
    pdf.line(60 * mm, height - 92 * mm, width - 60 * mm, height - 92 * mm)

    lines = [
        ("Le Campus du numérique public atteste que", "Helvetica", 12),
        (a.who, "Helvetica-Bold", 18),
        (f"Ministère : {a.ministry}", "Helvetica", 11),
        ("a suivi avec succès la formation", "Helvetica", 12),
        (f"« {a.course_title} »", "Helvetica-Bold", 16),
    ]
    if a.session_start is not None and a.session_end is not None:
        lines.append((f"Session du {_day(a.session_start)} au {_day(a.session_end)}", "Helvetica", 12))
    lines.append((f"Formation achevée le {_day(a.completed_at)}", "Helvetica", 12))
    y = height - 115 * mm
    for text, font, size in lines:
        pdf.setFont(font, size)
        pdf.drawCentredString(width / 2, y, text[:90])
        y -= size * 1.0 * mm + 4 * mm

    pdf.setFont("Helvetica", 9)
    pdf.setFillColor(GREY)
    issued = a.issued_on or date.today()
    pdf.drawString(25 * mm, 30 * mm, f"Attestation n° {a.attestation_id}")
    pdf.drawString(25 * mm, 25 * mm, f"Délivrée le {_day(issued)}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()

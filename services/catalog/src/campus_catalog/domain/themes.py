"""The nine expertise families of the Campus (FACTS) and our sub-theme slugs under each.

The families are real; the sub-themes are this service's taxonomy (the real catalogue has sub-themes
but FACTS does not list them), kept here so that routes validate and ``GET /v1/themes`` lists them.
"""

from __future__ import annotations

from campus_events.contracts.vocab import Theme

THEME_LABELS: dict[Theme, str] = {
    Theme.AGILITE_PRODUIT: "Agilité et produit",
    Theme.COMMUNS_LOGICIELS_LIBRES: "Communs et logiciels libres",
    Theme.CYBERSECURITE: "Cybersécurité",
    Theme.DATA: "Data",
    Theme.DESIGN_ACCESSIBILITE: "Design et accessibilité",
    Theme.ENVIRONNEMENT_NUMERIQUE_TRAVAIL: "Environnement numérique de travail",
    Theme.NUMERIQUE_RESPONSABLE: "Numérique responsable",
    Theme.TECHNOLOGIE_INFRASTRUCTURES: "Technologie et infrastructures",
    Theme.TRANSFORMATION_NUMERIQUE: "Transformation numérique",
}

SUB_THEMES: dict[Theme, dict[str, str]] = {
    Theme.AGILITE_PRODUIT: {
        "methodes-agiles": "Méthodes agiles",
        "product-management": "Product management",
        "startups-etat": "Startups d'État",
    },
    Theme.COMMUNS_LOGICIELS_LIBRES: {
        "logiciels-libres": "Logiciels libres",
        "communs-numeriques": "Communs numériques",
        "open-data": "Ouverture des données",
    },
    Theme.CYBERSECURITE: {
        "sensibilisation": "Sensibilisation",
        "securite-systemes": "Sécurité des systèmes",
        "gestion-crise": "Gestion de crise cyber",
    },
    Theme.DATA: {
        "intelligence-artificielle": "Intelligence artificielle",
        "data-science": "Data science",
        "gouvernance-donnees": "Gouvernance des données",
    },
    Theme.DESIGN_ACCESSIBILITE: {
        "accessibilite-numerique": "Accessibilité numérique",
        "design-services": "Design de services",
        "experience-usager": "Expérience usager",
    },
    Theme.ENVIRONNEMENT_NUMERIQUE_TRAVAIL: {
        "outils-collaboratifs": "Outils collaboratifs",
        "bureautique": "Bureautique",
        "webinaires": "Webinaires",
    },
    Theme.NUMERIQUE_RESPONSABLE: {
        "impacts-environnementaux": "Impacts environnementaux",
        "ecoconception": "Écoconception",
        "sobriete-numerique": "Sobriété numérique",
    },
    Theme.TECHNOLOGIE_INFRASTRUCTURES: {
        "cloud": "Cloud",
        "developpement": "Développement",
        "devops": "DevOps",
    },
    Theme.TRANSFORMATION_NUMERIQUE: {
        "culture-numerique": "Culture numérique",
        "management-numerique": "Management du numérique",
        "droit-numerique": "Droit du numérique",
    },
}

ALL_SUB_THEMES: frozenset[str] = frozenset(slug for subs in SUB_THEMES.values() for slug in subs)

"""The seed catalogue: the trainings FACTS.md names (with their organisers and, where FACTS names the
host, its address), then demo courses marked « (démo) » so the catalogue reaches a realistic size.

Nothing here pretends to be real beyond FACTS: durations, modalities and sessions of the real
trainings are only given where FACTS gives them; everything else is marked demo.
"""

from __future__ import annotations

from typing import Any

AUDIENCE_ALL = "Tous les agents"
AUDIENCE_FILIERE = "Filière numérique"
AUDIENCE_MANAGERS = "Managers et encadrants"

REAL_COURSES: list[dict[str, Any]] = [
    {
        "key": "secnumacademie",
        "title": "SecNumacadémie",
        "kind": "mooc",
        "summary": "Le MOOC de l'ANSSI pour s'initier à la cybersécurité et à la sécurité du numérique "
        "dans ses usages personnels et professionnels.",
        "modality": "online",
        "themes": ["cybersecurite"],
        "sub_themes": ["sensibilisation"],
        "objectives": ["Connaître les risques numériques", "Adopter les bonnes pratiques de sécurité"],
        "organizers": ["ANSSI"],
        "audiences": [AUDIENCE_ALL],
    },
    {
        "key": "mooc-impacts-environnementaux",
        "title": "MOOC Impacts environnementaux du numérique",
        "kind": "mooc",
        "summary": "Le MOOC d'Inria et Class'Code sur les impacts environnementaux du numérique, "
        "hébergé sur FUN (France Université Numérique).",
        "modality": "online",
        "themes": ["numerique-responsable"],
        "sub_themes": ["impacts-environnementaux"],
        "objectives": [
            "Comprendre les impacts environnementaux du numérique",
            "Identifier des leviers de sobriété",
        ],
        "organizers": ["Inria", "Class'Code"],
        "audiences": [AUDIENCE_ALL],
        "registration_url": "https://www.fun-mooc.fr/",
    },
    {
        "key": "decouvrir-ia-generatives",
        "title": "Découvrir les IA génératives",
        "kind": "formation",
        "summary": "Une heure avec Inria Academy pour comprendre ce que sont les intelligences artificielles "
        "génératives et ce qu'elles changent au travail.",
        "modality": "online",
        "themes": ["data"],
        "sub_themes": ["intelligence-artificielle"],
        "objectives": ["Comprendre le fonctionnement des IA génératives"],
        "duration": "1 heure",
        "duration_minutes": 60,
        "organizers": ["Inria Academy"],
        "audiences": [AUDIENCE_ALL],
    },
    {
        "key": "booster-agile",
        "title": "Booster agile",
        "kind": "booster",
        "summary": "Un booster pour adopter les méthodes agiles et l'approche produit dans une équipe publique.",
        "modality": "hybrid",
        "themes": ["agilite-produit"],
        "sub_themes": ["methodes-agiles"],
        "objectives": ["Travailler en mode agile", "Piloter un produit par l'impact"],
        "organizers": ["DINUM"],
        "audiences": [AUDIENCE_FILIERE, AUDIENCE_MANAGERS],
        "pace": "scheduled",
    },
    {
        "key": "mentor",
        "title": "Les formations numériques de Mentor",
        "kind": "programme",
        "summary": "Mentor, la plateforme interministérielle de formation de la fonction publique (DGAFP), "
        "propose des modules en ligne sur le numérique.",
        "modality": "online",
        "themes": ["transformation-numerique"],
        "sub_themes": ["culture-numerique"],
        "organizers": ["DGAFP", "Mentor"],
        "audiences": [AUDIENCE_ALL],
        "registration_url": "https://mentor.gouv.fr/",
    },
    {
        "key": "licences-pix",
        "title": "Licences Pix : évaluer et développer ses compétences numériques",
        "kind": "programme",
        "summary": "Des licences Pix pour mesurer et faire progresser ses compétences numériques de base.",
        "modality": "online",
        "themes": ["environnement-numerique-travail"],
        "sub_themes": ["bureautique"],
        "organizers": ["Pix", "DINUM"],
        "audiences": [AUDIENCE_ALL],
    },
    {
        "key": "licences-openclassrooms",
        "title": "Licences OpenClassrooms",
        "kind": "programme",
        "summary": "Des licences OpenClassrooms pour suivre des cours en ligne sur les métiers du numérique.",
        "modality": "online",
        "themes": ["technologie-infrastructures"],
        "sub_themes": ["developpement"],
        "organizers": ["OpenClassrooms", "DINUM"],
        "audiences": [AUDIENCE_FILIERE],
    },
    {
        "key": "matinee-ia",
        "title": "Matinée IA",
        "kind": "seminaire",
        "summary": "Une matinée pour découvrir les usages de l'intelligence artificielle dans l'action publique.",
        "modality": "in_person",
        "themes": ["data"],
        "sub_themes": ["intelligence-artificielle"],
        "organizers": ["DINUM"],
        "audiences": [AUDIENCE_MANAGERS],
        "pace": "scheduled",
    },
]

# (theme, sub-theme, kind, modality, title, summary): demo courses, marked as such in their title.
DEMO: list[tuple[str, str, str, str, str, str]] = [
    ("agilite-produit", "product-management", "formation", "online", "Product management public",
     "Définir une vision produit, prioriser et mesurer l'impact pour les usagers."),
    ("agilite-produit", "startups-etat", "cycle", "hybrid", "Lancer une startup d'État",
     "De l'investigation à la construction : l'approche beta.gouv pas à pas."),
    ("agilite-produit", "methodes-agiles", "formation", "in_person", "Scrum et kanban au quotidien",
     "Les rituels agiles appliqués à une équipe administrative."),
    ("agilite-produit", "product-management", "parcours", "online", "Parcours métier : product owner",
     "Un parcours métier vers le rôle de product owner dans l'administration."),
    ("communs-logiciels-libres", "logiciels-libres", "formation", "online", "Utiliser et contribuer aux logiciels libres",
     "Licences, contributions et socle interministériel de logiciels libres."),
    ("communs-logiciels-libres", "communs-numeriques", "seminaire", "in_person", "Les communs numériques",
     "Comprendre et soutenir les communs numériques dans l'action publique."),
    ("communs-logiciels-libres", "open-data", "formation", "online", "Ouvrir ses données publiques",
     "Publier des données ouvertes de qualité et accompagner leur réutilisation."),
    ("communs-logiciels-libres", "logiciels-libres", "formation", "hybrid", "Publier le code source de son administration",
     "Ouvrir les codes sources : obligations, licences et bonnes pratiques."),
    ("cybersecurite", "securite-systemes", "formation", "hybrid", "Sécuriser un système d'information",
     "Hygiène informatique, homologation et analyse de risques."),
    ("cybersecurite", "gestion-crise", "seminaire", "in_person", "Exercice de crise cyber",
     "Simuler une crise cyber et préparer la réponse de son organisation."),
    ("cybersecurite", "sensibilisation", "formation", "online", "Reconnaître l'hameçonnage",
     "Repérer les courriels frauduleux et réagir avec les bons réflexes de sécurité."),
    ("cybersecurite", "securite-systemes", "parcours", "online", "Parcours reconversion : analyste cybersécurité",
     "Un parcours vers les métiers de la sécurité des systèmes d'information."),
    ("data", "data-science", "formation", "online", "Initiation à la data science",
     "Statistiques, visualisation et premiers modèles sur des données publiques."),
    ("data", "gouvernance-donnees", "formation", "hybrid", "Gouverner les données de son administration",
     "Rôles, catalogues et qualité des données : organiser la gouvernance."),
    ("data", "intelligence-artificielle", "formation", "in_person", "IA générative et processus métier",
     "Expérimenter une IA générative sur ses propres processus métier, en demi-journée."),
    ("data", "data-science", "parcours", "online", "Parcours reconversion : data analyst",
     "Un parcours vers le métier de data analyst, de SQL aux tableaux de bord."),
    ("design-accessibilite", "accessibilite-numerique", "formation", "online", "Accessibilité numérique : le RGAA",
     "Concevoir et vérifier des services numériques accessibles à tous."),
    ("design-accessibilite", "design-services", "formation", "in_person", "Design de services publics",
     "Partir des besoins des usagers pour concevoir un service public."),
    ("design-accessibilite", "experience-usager", "formation", "hybrid", "Mener des entretiens utilisateurs",
     "Préparer, conduire et analyser des entretiens avec les usagers."),
    ("design-accessibilite", "design-services", "universite_ete", "in_person", "Université d'été du design public",
     "Trois jours d'ateliers et de retours d'expérience sur le design des politiques publiques."),
    ("environnement-numerique-travail", "outils-collaboratifs", "formation", "online", "Travailler avec les outils collaboratifs de l'État",
     "Messagerie, documents partagés et visioconférence : les outils collaboratifs au quotidien."),
    ("environnement-numerique-travail", "webinaires", "formation", "online", "Animer un webinaire",
     "Préparer et animer un webinaire avec l'outil interministériel."),
    ("environnement-numerique-travail", "bureautique", "formation", "online", "Tableur : les essentiels",
     "Formules, tableaux croisés et graphiques pour les agents."),
    ("environnement-numerique-travail", "outils-collaboratifs", "formation", "hybrid", "Organiser le travail hybride",
     "Outils et pratiques pour une équipe en présentiel et à distance."),
    ("numerique-responsable", "ecoconception", "formation", "online", "Écoconcevoir un service numérique",
     "Réduire l'empreinte d'un service numérique dès sa conception."),
    ("numerique-responsable", "sobriete-numerique", "formation", "online", "Sobriété numérique au bureau",
     "Des gestes simples pour réduire l'impact de ses usages numériques."),
    ("numerique-responsable", "impacts-environnementaux", "seminaire", "in_person", "Mesurer l'empreinte du numérique",
     "Méthodes et indicateurs pour mesurer l'empreinte environnementale d'un système d'information."),
    ("numerique-responsable", "ecoconception", "cycle", "hybrid", "Achats numériques responsables",
     "Intégrer des critères environnementaux dans les achats numériques."),
    ("technologie-infrastructures", "cloud", "formation", "online", "Les fondamentaux du cloud",
     "Comprendre le cloud et la doctrine cloud de l'État."),
    ("technologie-infrastructures", "devops", "formation", "hybrid", "Pratiques DevOps",
     "Intégration et déploiement continus pour les équipes de développement."),
    ("technologie-infrastructures", "developpement", "parcours", "online", "Parcours reconversion : développeur web",
     "Un parcours de reconversion vers le métier de développeur web."),
    ("technologie-infrastructures", "cloud", "formation", "in_person", "Migrer une application vers le cloud",
     "Préparer et conduire la migration d'une application vers le cloud."),
    ("transformation-numerique", "management-numerique", "cycle", "hybrid", "Manager la transformation numérique",
     "Un cycle pour les cadres qui pilotent des projets numériques."),
    ("transformation-numerique", "droit-numerique", "formation", "online", "Droit du numérique : les bases",
     "Données personnelles, open data, accessibilité : le cadre juridique du numérique public."),
    ("transformation-numerique", "culture-numerique", "formation", "online", "Culture numérique pour tous",
     "Les notions clés pour comprendre le numérique et ses enjeux."),
    ("transformation-numerique", "management-numerique", "programme", "hybrid", "Programme sur mesure pour une équipe",
     "Un programme de formation construit avec une équipe pour ses besoins propres."),
]  # fmt: skip

AUDIENCES = [AUDIENCE_ALL, AUDIENCE_FILIERE, AUDIENCE_MANAGERS]


def demo_courses() -> list[dict[str, Any]]:
    courses = []
    for i, (theme, sub_theme, kind, modality, title, summary) in enumerate(DEMO):
        courses.append(
            {
                "key": f"demo-{i:02d}",
                "title": f"{title} (démo)",
                "kind": kind,
                "summary": f"{summary} Formation de démonstration.",
                "modality": modality,
                "themes": [theme],
                "sub_themes": [sub_theme],
                "objectives": [summary.split(":")[0].rstrip(".")],
                "duration": ["1 heure", "1 journée", "2 demi-journées", "3 jours"][i % 4],
                "duration_minutes": [60, 420, 420, 1260][i % 4],
                "pace": "scheduled" if modality != "online" else "self_paced",
                "organizers": ["DINUM (démo)"],
                "audiences": [AUDIENCES[i % 3]],
            }
        )
    return courses


COURSES: list[dict[str, Any]] = REAL_COURSES + demo_courses()

# Sessions of scheduled demo courses, at fixed dates (a second seed run sends the very same requests).
SESSIONS: list[dict[str, Any]] = [
    {"key": "booster-agile-1", "course": "booster-agile", "starts_at": "2027-03-09T08:00:00Z",
     "ends_at": "2027-03-11T16:00:00Z", "capacity": 20, "location": "Paris (session de démo)"},
    {"key": "matinee-ia-1", "course": "matinee-ia", "starts_at": "2027-02-16T08:30:00Z",
     "ends_at": "2027-02-16T11:30:00Z", "capacity": 60, "location": "Paris (session de démo)"},
    {"key": "demo-09-1", "course": "demo-09", "starts_at": "2027-04-06T08:00:00Z",
     "ends_at": "2027-04-06T16:00:00Z", "capacity": 15, "location": "Lyon (session de démo)"},
    {"key": "demo-13-1", "course": "demo-13", "starts_at": "2027-05-18T12:00:00Z",
     "ends_at": "2027-05-18T16:00:00Z", "capacity": 12, "join_url": "https://webconf.example.org/demo-ia"},
]  # fmt: skip

PATHS: list[dict[str, Any]] = [
    {
        "key": "reconversion-data",
        "title": "Reconversion vers le métier de data analyst (démo)",
        "summary": "Un parcours de reconversion vers un métier en tension de la filière numérique.",
        "courses": ["decouvrir-ia-generatives", "demo-12", "demo-13", "demo-15"],
        "target_job": "Data analyst",
        "reconversion": True,
        "themes": ["data"],
    },
    {
        "key": "securite-pour-tous",
        "title": "Les bons réflexes de cybersécurité (démo)",
        "summary": "Un parcours de sensibilisation pour tous les agents.",
        "courses": ["secnumacademie", "demo-10"],
        "target_job": None,
        "reconversion": False,
        "themes": ["cybersecurite"],
    },
]

"""The guides shipped in guides/: they load, and the seed guides keep to the seed thesis.

The question texts are those of the thesis's guide (its appendix 3; docs/method.md names the
thesis) and of our English translation, character for character.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from facilitator.core.guide import Guide, load_guide

GUIDES = Path(__file__).resolve().parent.parent / "guides"

NB_STAGE_1 = [
    "Kan dere fortelle om hvordan møtene med brukerne foregår i dag?",
    "Hvordan vil dere beskrive samarbeidet med brukergruppen?",
]
NB_FUTURE = [
    "Hvordan kunne samarbeidet med brukerne se ut – hvis dere skulle tenke nytt/annerledes? "
    "Er det noen som har lyst til å begynne å drømme litt?",
    "Hva vil dere ha mer av og hva vil dere ha mindre av i samarbeidet med brukerne?",
    "Hvordan kan dere tenke annerledes om samarbeidet med familiene?",
    "Hvordan kan dere kvalitetssikre samarbeidet med familiene om deres boligsituasjon?",
    "Hvordan kan man legge til rette for systemiske møtepunkter mellom dere som tjenesteytere "
    "og familiene?",
    "Hvordan kan man fasilitere og legge til rette for refleksjonen sammen med familiene om "
    "boligsituasjonen?",
]
NB_EVALUATION = [
    "Hva har dere lært av hverandre?",
    "Hvordan har det vært å tenke høyt sammen om samarbeidet med familiene om deres bosituasjon?",
]

EN_STAGE_1 = [
    "Can you tell us how meetings with the users take place today?",
    "How would you describe the collaboration with the user group?",
]
EN_FUTURE = [
    "What could collaboration with the users look like if you were to think anew / "
    "differently? Would anyone like to start dreaming a little?",
    "What do you want more of, and less of, in collaboration with the users?",
    "How can you think differently about collaboration with the families?",
    "How can you assure the quality of collaboration with the families about their housing "
    "situation?",
    "How can systematic meeting points between you as service providers and the families be "
    "arranged?",
    "How can reflection together with the families about their housing situation be facilitated?",
]
EN_EVALUATION = [
    "What have you learned from each other?",
    "What has it been like to think aloud together about collaborating with the families on "
    "their housing situation?",
]

SEEDS = {
    "seed-nb.toml": (NB_STAGE_1, NB_FUTURE, NB_EVALUATION),
    "seed-en.toml": (EN_STAGE_1, EN_FUTURE, EN_EVALUATION),
}


def _texts(guide: Guide, phase_id: str) -> list[str]:
    return [q.text for q in guide.phase(phase_id).questions]


def _all_texts(guide: Guide) -> list[str]:
    return [q.text for p in guide.phases for q in p.questions]


def test_the_hard_coded_texts_are_ten_per_language() -> None:
    for stage_1, future, evaluation in SEEDS.values():
        assert len(stage_1) + len(future) + len(evaluation) == 10
    assert "se ut – hvis" in NB_FUTURE[0]  # an en dash, as in the thesis


@pytest.mark.parametrize("path", sorted(GUIDES.glob("*.toml")), ids=lambda p: p.name)
def test_every_bundled_guide_loads(path: Path) -> None:
    guide = load_guide(path)
    assert guide.title
    for stage in range(1, guide.stages + 1):
        assert guide.for_stage(stage).phases


def test_the_bundled_guides_are_there() -> None:
    names = {p.name for p in GUIDES.glob("*.toml")}
    assert {"seed-nb.toml", "seed-en.toml", "template.toml"} <= names
    assert (GUIDES / "README.md").is_file()


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_each_stage_of_a_seed_guide_is_one_hour(name: str) -> None:
    guide = load_guide(GUIDES / name)
    assert guide.stages == 2
    assert guide.minutes == 60
    assert guide.planned_s == 3600
    for stage in (1, 2):
        assert sum(p.minutes for p in guide.for_stage(stage).phases) == 60


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_questions_are_verbatim_and_in_the_right_stage(name: str) -> None:
    stage_1, future, evaluation = SEEDS[name]
    guide = load_guide(GUIDES / name)
    one, two = guide.for_stage(1), guide.for_stage(2)

    assert _texts(one, "dagens-situasjon") == stage_1
    assert _texts(two, "framtidstanker") == future
    assert _texts(two, "evaluering") == evaluation

    # each question in its own stage only
    for text in stage_1:
        assert text in _all_texts(one)
        assert text not in _all_texts(two)
    for text in future + evaluation:
        assert text in _all_texts(two)
        assert text not in _all_texts(one)


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_phases_follow_the_thesis_template(name: str) -> None:
    guide = load_guide(GUIDES / name)
    one, two = guide.for_stage(1), guide.for_stage(2)
    assert [p.kind for p in one.phases] == ["introduction", "main", "closing"]
    assert [p.kind for p in two.phases] == ["introduction", "main", "main", "closing"]
    assert [p.id for p in one.phases] == ["introduksjon", "dagens-situasjon", "avrunding"]
    assert [p.id for p in two.phases] == [
        "introduksjon-2",
        "framtidstanker",
        "evaluering",
        "avrunding",
    ]
    # stage 2 opens with the recap of stage 1
    assert two.phases[0].questions[0].id == "intro-oppsummering"


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_stage_1_introduction_has_consent_data_handling_and_ground_rules(name: str) -> None:
    intro = load_guide(GUIDES / name).for_stage(1).phases[0]
    assert intro.kind == "introduction"
    ids = {item.id for item in intro.checklist}
    assert {"samtykke", "databehandling", "kjoreregler"} <= ids


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_stage_2_introduction_distinguishes_newcomers_and_returning(name: str) -> None:
    intro = load_guide(GUIDES / name).for_stage(2, newcomers=True, returning=True).phases[0]
    audiences = {item.id: item.audience for item in intro.checklist}
    assert audiences["samtykke-ny"] == "newcomers"
    assert audiences["databehandling-ny"] == "newcomers"
    assert audiences["kjoreregler-ny"] == "newcomers"
    assert audiences["paminnelse"] == "returning"


def test_nb_and_en_have_the_same_structure_and_minutes() -> None:
    nb = load_guide(GUIDES / "seed-nb.toml")
    en = load_guide(GUIDES / "seed-en.toml")
    assert (nb.language, en.language) == ("nb", "en")
    assert nb.asked_after_s == en.asked_after_s
    for stage in (1, 2):
        a, b = nb.for_stage(stage), en.for_stage(stage)
        assert [(p.id, p.kind, p.minutes) for p in a.phases] == [
            (p.id, p.kind, p.minutes) for p in b.phases
        ]
        for pa, pb in zip(a.phases, b.phases, strict=True):
            assert [(q.id, q.minutes, len(q.probes)) for q in pa.questions] == [
                (q.id, q.minutes, len(q.probes)) for q in pb.questions
            ]
            assert [(c.id, c.audience) for c in pa.checklist] == [
                (c.id, c.audience) for c in pb.checklist
            ]


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_the_checklist_follows_who_is_in_the_group(name: str) -> None:
    guide = load_guide(GUIDES / name)
    only_returning = {
        i.id for i in guide.for_stage(2, newcomers=False, returning=True).phases[0].checklist
    }
    only_new = {
        i.id for i in guide.for_stage(2, newcomers=True, returning=False).phases[0].checklist
    }
    assert "paminnelse" in only_returning and "samtykke-ny" not in only_returning
    assert "samtykke-ny" in only_new and "paminnelse" not in only_new

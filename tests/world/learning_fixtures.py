"""Small hand-built quiz points, quests and landmarks for the learning rules' tests.

Built directly as scene dataclasses (with positions already placed), so the rules are tested
without the scene loader; one test in test_quiz.py also goes through the loader.
"""

from __future__ import annotations

from srichan_world.scene.model import Colors, Landmark, Quest, QuestStep, QuizPoint, Text

QUESTION = Text(
    "ขอนแก่นเป็นเมืองแห่งการเรียนรู้ของยูเนสโกตั้งแต่ปีใด", "Since when is Khon Kaen a UNESCO learning city?"
)
CHOICES = (
    Text("พ.ศ. 2565", "2022"),
    Text("พ.ศ. 2567", "2024"),
    Text("พ.ศ. 2569", "2026"),
)
EXPLANATION = Text("ขอนแก่นเข้าร่วมเมื่อ 14 ก.พ. 2567", "Khon Kaen joined on 14 Feb 2024.")


def quiz(
    quiz_id: str = "q-gate",
    *,
    position: tuple[float, float] = (0.0, 0.0),
    radius: float = 4.0,
    reward: int = 10,
    attempts: int = 3,
    cooldown_s: float = 30.0,
    correct: int = 1,
    question: Text = QUESTION,
    explanation: Text = EXPLANATION,
) -> QuizPoint:
    return QuizPoint(
        id=quiz_id,
        landmark="city-gate",
        station=position[0],
        offset=-position[1],
        radius=radius,
        reward=reward,
        question=question,
        choices=CHOICES,
        correct=correct,
        explanation=explanation,
        attempts=attempts,
        cooldown_s=cooldown_s,
        position=position,
    )


def quest(
    quest_id: str = "walk",
    order: str = "ordered",
    steps: tuple[tuple[str, str], ...] = (),
    bonus: int = 50,
) -> Quest:
    return Quest(
        id=quest_id,
        title=Text("เดินเรียนรู้", "Learning walk"),
        description=Text("ผ่านประตูแล้วตอบคำถาม", "Pass the gate, then answer."),
        order=order,
        bonus=bonus,
        steps=tuple(QuestStep(kind, target) for kind, target in steps),
    )


def landmark(landmark_id: str, square: tuple[float, float, float, float]) -> Landmark:
    """A landmark whose footprint is the rectangle ``(x0, z0, x1, z1)``."""
    x0, z0, x1, z1 = square
    return Landmark(
        id=landmark_id,
        kind="museum",
        name=Text("พิพิธภัณฑ์ธนารักษ์", "Treasury Museum"),
        description=Text("คำอธิบาย", "Description"),
        station=(x0 + x1) / 2,
        side="north",
        setback=0.0,
        width=x1 - x0,
        depth=z1 - z0,
        height=10.0,
        storeys=2,
        highlight=True,
        colors=Colors("#ffffff", "#000000", "#777777"),
        position=((x0 + x1) / 2, (z0 + z1) / 2),
        footprints=(((x0, z0), (x1, z0), (x1, z1), (x0, z1)),),
    )

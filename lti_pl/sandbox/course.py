"""The sandbox's demo course: who is in it (the tool learns about them only through LTI)."""

from __future__ import annotations

from dataclasses import dataclass, field

LIS = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTRUCTOR = LIS + "Instructor"
LEARNER = LIS + "Learner"
MENTOR = LIS + "Mentor"

CONTEXT_ID = "sandbox-course-1"
CONTEXT_TITLE = "Sandbox: Grade 7 Science"
CONTEXT_LABEL = "SCI-7"

STUDENT_NAMES = (
    "Ana Alvarez",
    "Ben Okafor",
    "Chloe Martin",
    "Dev Patel",
    "Emma Schultz",
    "Farah Haddad",
    "Gabe Nguyen",
    "Hana Sato",
    "Isaac Brown",
    "Jade Kowalski",
    "Kofi Mensah",
    "Lena Fischer",
    "Mateo Rossi",
    "Nia Johnson",
    "Omar Said",
    "Priya Rao",
    "Quinn Murphy",
    "Rosa Lopez",
    "Sam Cohen",
    "Tara Singh",
    "Uma Iyer",
    "Victor Dubois",
    "Wen Li",
    "Yusuf Demir",
    "Zoe Clarke",
)


@dataclass(frozen=True)
class SandboxPerson:
    """A member of the sandbox course, as the platform knows them."""

    user_id: str
    name: str
    roles: tuple[str, ...]
    email: str
    mentor_of: tuple[str, ...] = field(default=())

    @property
    def given_name(self) -> str:
        """First name."""
        return self.name.partition(" ")[0]

    @property
    def family_name(self) -> str:
        """Last name."""
        return self.name.partition(" ")[2]

    @property
    def role_label(self) -> str:
        """Teacher, Student or Observer, for the sandbox's pages."""
        if INSTRUCTOR in self.roles:
            return "Teacher"
        if LEARNER in self.roles:
            return "Student"
        return "Observer"


def _email(name: str) -> str:
    return name.lower().replace(" ", ".") + "@sandbox.example"


def demo_people() -> tuple[SandboxPerson, ...]:
    """A teacher, 25 students and one parent (observer of the first student)."""
    teacher = SandboxPerson("sandbox-teacher", "Ms Rivera", (INSTRUCTOR,), _email("m rivera"))
    students = tuple(
        SandboxPerson(f"sandbox-student-{i:02d}", name, (LEARNER,), _email(name))
        for i, name in enumerate(STUDENT_NAMES, start=1)
    )
    parent = SandboxPerson(
        "sandbox-parent-01",
        "Luis Alvarez",
        (MENTOR,),
        _email("luis alvarez"),
        mentor_of=(students[0].user_id,),
    )
    return (teacher, *students, parent)

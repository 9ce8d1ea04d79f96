"""The sandbox's demo courses and who is in them (the tool learns about them only through LTI)."""

from __future__ import annotations

from dataclasses import dataclass, field

LIS = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTRUCTOR = LIS + "Instructor"
LEARNER = LIS + "Learner"
MENTOR = LIS + "Mentor"

CONTEXT_ID = "sandbox-course-1"
CONTEXT_TITLE = "Sandbox: Grade 7 Science"
CONTEXT_LABEL = "SCI-7"


@dataclass(frozen=True)
class SandboxCourse:
    """A course of the sandbox LMS (every course has the same people)."""

    context_id: str
    title: str
    label: str

    @property
    def home_link_id(self) -> str:
        """The resource link id of the course's lti_pl activity (the course home)."""
        return "sandbox-link-home" if self.context_id == CONTEXT_ID else f"{self.context_id}-home"


#: The first course has the gradebook and the activities added by deep linking; the second one
#: (the same class in another subject) shows one student's standards across two courses.
COURSES = (
    SandboxCourse(CONTEXT_ID, CONTEXT_TITLE, CONTEXT_LABEL),
    SandboxCourse("sandbox-course-2", "Sandbox: Grade 7 Math", "MATH-7"),
)


def sandbox_course(context_id: str) -> SandboxCourse | None:
    """A course by context id, or None."""
    return next((c for c in COURSES if c.context_id == context_id), None)


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

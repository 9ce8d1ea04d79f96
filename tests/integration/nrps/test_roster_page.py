"""The roster page: a teacher finds a person by name or email and shows one role at a time."""

from __future__ import annotations

import re

from tests.support.grades import course_id_from


def seed(platform):
    platform.add_member("course-1", "t1", "Instructor", name="Pat Teacher", email="pat@school.edu")
    for sub, name, email in (
        ("s1", "Chloé Martin", "chloe.martin@school.edu"),
        ("s2", "Zoë Nguyễn", "zoe@school.edu"),
        ("s3", "Martin Okafor", None),
        ("s4", "Ada Lovelace", "ada@school.edu"),
    ):
        platform.add_member("course-1", sub, "Learner", name=name, email=email)
    platform.add_member("course-1", "m1", "Mentor", name="Sam Martin (parent)")


def names_shown(html: str) -> list[str]:
    return re.findall(r'<th scope="row" role="rowheader">([^<]*)</th>', html)


def count_shown(html: str) -> str:
    found = re.search(r'id="roster-count"[^>]*>([^<]*)<', html)
    assert found, "the page says how many it shows"
    return found.group(1).strip()


def test_the_roster_finds_people_by_any_words_of_their_name_or_email(client, platform):
    seed(platform)
    course_id = course_id_from(platform.launch(client, role="Instructor", user_id="t1"))
    url = f"/courses/{course_id}/teach/roster"

    everyone = client.get(url).get_data(as_text=True)
    # Teachers first, then students, then observers (parents), each by name.
    assert names_shown(everyone) == [
        "Pat Teacher",
        "Ada Lovelace",
        "Chloé Martin",
        "Martin Okafor",
        "Zoë Nguyễn",
        "Sam Martin (parent)",
    ]
    assert count_shown(everyone) == "6 people"
    assert "Show everyone" not in everyone

    martins = client.get(url, query_string={"q": "martin"}).get_data(as_text=True)
    assert sorted(names_shown(martins)) == [
        "Chloé Martin",
        "Martin Okafor",
        "Sam Martin (parent)",
    ]
    assert count_shown(martins) == "3 of 6 people"
    assert 'value="martin"' in martins  # the box keeps what was typed
    assert "Show everyone" in martins

    # No accents needed, any word order, part of a word, or the email.
    assert names_shown(
        client.get(url, query_string={"q": "nguyen ZOE"}).get_data(as_text=True)
    ) == ["Zoë Nguyễn"]
    assert names_shown(client.get(url, query_string={"q": "ada@"}).get_data(as_text=True)) == [
        "Ada Lovelace"
    ]


def test_the_roster_shows_one_role_and_says_how_many_each_has(client, platform):
    seed(platform)
    course_id = course_id_from(platform.launch(client, role="Instructor", user_id="t1"))
    url = f"/courses/{course_id}/teach/roster"

    students = client.get(url, query_string={"role": "student"}).get_data(as_text=True)
    assert sorted(names_shown(students)) == [
        "Ada Lovelace",
        "Chloé Martin",
        "Martin Okafor",
        "Zoë Nguyễn",
    ]
    assert '<option value="student" selected>Students (4)</option>' in students
    assert ">Teachers (1)</option>" in students
    assert ">Observers (1)</option>" in students
    assert ">Everyone (6)</option>" in students

    both = client.get(url, query_string={"role": "student", "q": "martin"}).get_data(as_text=True)
    assert sorted(names_shown(both)) == ["Chloé Martin", "Martin Okafor"]


def test_a_search_that_finds_no_one_says_so(client, platform):
    seed(platform)
    course_id = course_id_from(platform.launch(client, role="Instructor", user_id="t1"))
    page = client.get(
        f"/courses/{course_id}/teach/roster", query_string={"q": "<b>zed</b>", "role": "teacher"}
    )
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert names_shown(html) == []
    assert "No one of 6 people matches “&lt;b&gt;zed&lt;/b&gt;” among the teachers." in html
    assert "<b>zed</b>" not in html  # what was typed is text, not markup


def test_a_hand_edited_role_or_a_student_gets_a_clear_answer(client, platform):
    seed(platform)
    course_id = course_id_from(platform.launch(client, role="Instructor", user_id="t1"))
    url = f"/courses/{course_id}/teach/roster"
    wrong = client.get(url, query_string={"role": "admin"})
    assert wrong.status_code == 422
    assert "choose everyone, students, teachers or observers" in wrong.get_data(as_text=True)

    long = client.get(url, query_string={"q": "martin " + "x" * 10_000})
    assert long.status_code == 200
    assert names_shown(long.get_data(as_text=True)) == []  # the box's 200 characters, matched

    platform.launch(client, role="Learner", user_id="s1")
    assert client.get(url, query_string={"q": "martin"}).status_code == 403

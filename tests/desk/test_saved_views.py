"""Saved views of the case list: saved through the list's FilterSet (invalid filters refused with
the field named), listed for their owner and the members of the queue they are shared with,
shared only by a supervisor of that queue, deleted only by their owner."""

import pytest

from cases.models import Case
from desk.models import SavedView
from tests.support.factories import open_case, order_data, staff

pytestmark = pytest.mark.django_db


def save(client, name, query, path="/queues/recharge/"):
    return client.post("/desk/views/", {"name": name, "query": query, "path": path})


def test_an_agent_saves_the_lists_filters_and_reopens_them(login, people):
    client = login(people.agent)
    response = save(client, "紧急", "priority=p1&status=new&ordering=-created_at&cursor=abc")
    assert response.status_code == 302
    view = SavedView.objects.get()
    assert (view.owner, view.name, view.queue) == (people.agent, "紧急", None)
    assert view.query == "priority=p1&status=new&ordering=-created_at"  # the page position dropped
    assert response["Location"] == f"/queues/recharge/?{view.query}"
    page = client.get("/queues/recharge/").content.decode()
    assert (
        'href="/queues/recharge/?priority=p1&amp;status=new&amp;ordering=-created_at">紧急' in page
    )
    opened = client.get(f"/desk/views/{view.pk}/")
    assert opened.status_code == 302 and opened["Location"] == response["Location"]


def test_opening_a_view_applies_its_filters(login, people):
    urgent, normal = (
        open_case(customer_id="U7", order=order_data(order_id="R-7")),
        open_case(customer_id="U8", order=order_data(order_id="R-8")),
    )
    Case.objects.filter(pk=urgent.pk).update(priority="p1")
    Case.objects.filter(pk=normal.pk).update(priority="p3")
    client = login(people.agent)
    save(client, "p1", "priority=p1")
    page = client.get(client.get(f"/desk/views/{SavedView.objects.get().pk}/")["Location"])
    text = page.content.decode()
    assert urgent.reference in text and normal.reference not in text


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("status=bogus", "Status"),
        ("priority=p9", "Priority"),
        ("breached=maybe", "SLA breached"),
        ("due_before=yesterday", "SLA due before"),
        ("evil=1", "Unknown filter “evil”"),
        ("ordering=password", "Sort by"),
        ("q=" + "x" * 101, "Search"),
    ],
)
def test_invalid_filters_are_refused_with_the_field_named(login, people, query, named):
    response = save(login(people.agent), "bad", query)
    assert response.status_code == 400
    assert named in response.content.decode()
    assert SavedView.objects.count() == 0


def test_a_view_is_saved_from_a_case_list_only(login, people):
    client = login(people.agent)
    for path in ("/desk/inbox/", "https://evil.example/", "/nowhere/", ""):
        assert save(client, "x", "priority=p1", path=path).status_code == 400
    assert SavedView.objects.count() == 0


def test_a_name_is_used_once_per_owner(login, people):
    client = login(people.agent)
    assert save(client, "mine", "priority=p1").status_code == 302
    response = save(client, "mine", "priority=p2")
    assert response.status_code == 400
    assert "You already have a view with this name." in response.content.decode()
    assert save(login(people.agent2), "mine", "priority=p2").status_code == 302
    assert SavedView.objects.count() == 2


def test_the_list_shows_my_views_and_those_shared_with_my_queues(login, people):
    own = SavedView.objects.create(owner=people.agent, name="own", path="/cases/mine/")
    SavedView.objects.create(owner=people.agent2, name="private-of-agent2", path="/cases/mine/")
    recharge = people.supervisor.queue_memberships.get().queue
    SavedView.objects.create(owner=people.supervisor, name="team", path="/", queue=recharge)
    other_sup = staff("supervisor", "credit", username="csup")
    credit = other_sup.queue_memberships.get().queue
    SavedView.objects.create(owner=other_sup, name="credit-team", path="/", queue=credit)
    page = login(people.agent).get("/queues/recharge/").content.decode()
    assert ">own<" in page and ">team <" in page
    assert "private-of-agent2" not in page and "credit-team" not in page
    assert own.name in login(people.agent).get("/desk/views/").content.decode()


def test_a_supervisor_shares_a_view_with_their_queue(login, people):
    client = login(people.supervisor)
    save(client, "breached", "breached=true", path="/cases/")
    view = SavedView.objects.get()
    response = client.post(f"/desk/views/{view.pk}/share/", {"queue": "recharge"})
    assert response.status_code == 302
    view.refresh_from_db()
    assert view.queue.code == "recharge"
    agent = login(people.agent)
    assert ">breached <" in agent.get("/cases/mine/").content.decode()
    # an agent of the queue opens it on the queue's list (the all-queues list is not theirs)
    opened = agent.get(f"/desk/views/{view.pk}/")
    assert opened["Location"] == "/queues/recharge/?breached=true"
    # and may not delete or re-share it
    assert agent.post(f"/desk/views/{view.pk}/delete/").status_code == 403
    assert agent.post(f"/desk/views/{view.pk}/share/", {"queue": ""}).status_code == 403
    view.refresh_from_db()
    assert view.queue.code == "recharge"
    # an agent of another queue does not see it at all
    assert login(people.credit_agent).get(f"/desk/views/{view.pk}/").status_code == 404
    # the owner stops sharing it
    assert (
        login(people.supervisor).post(f"/desk/views/{view.pk}/share/", {"queue": ""}).status_code
        == 302
    )
    view.refresh_from_db()
    assert view.queue is None


def test_an_agent_cannot_share(login, people):
    client = login(people.agent)
    save(client, "mine", "priority=p1")
    view = SavedView.objects.get()
    assert "Share with queue" not in client.get("/desk/views/").content.decode()
    response = client.post(f"/desk/views/{view.pk}/share/", {"queue": "recharge"})
    assert response.status_code == 403
    view.refresh_from_db()
    assert view.queue is None


def test_a_supervisor_cannot_share_with_a_queue_they_do_not_belong_to(login, people):
    client = login(people.supervisor)
    save(client, "x", "priority=p1")
    view = SavedView.objects.get()
    assert client.post(f"/desk/views/{view.pk}/share/", {"queue": "credit"}).status_code == 403
    response = client.post(
        f"/desk/views/{view.pk}/share/",
        {"queue": "no-such-queue"},
        headers={"accept-language": "zh-hans"},
    )
    assert response.status_code == 400
    assert "共享给队列：" in response.content.decode()
    view.refresh_from_db()
    assert view.queue is None


def test_only_the_owner_deletes_and_strangers_do_not_see_a_private_view(login, people):
    client = login(people.agent)
    save(client, "mine", "priority=p1")
    view = SavedView.objects.get()
    other = login(people.agent2)
    assert other.get(f"/desk/views/{view.pk}/").status_code == 404
    assert other.post(f"/desk/views/{view.pk}/delete/").status_code == 404
    assert other.post(f"/desk/views/{view.pk}/share/", {"queue": "recharge"}).status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()
    assert login(people.agent).post(f"/desk/views/{view.pk}/delete/").status_code == 302
    assert not SavedView.objects.exists()


def test_a_refused_filter_is_named_in_chinese(login, people):
    client = login(people.agent)
    response = client.post(
        "/desk/views/",
        {"name": "x", "query": "evil=1", "path": "/cases/mine/"},
        headers={"accept-language": "zh-hans"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "视图未保存。" in page and "筛选条件: 未知的筛选条件“evil”。" in page

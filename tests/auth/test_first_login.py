"""A one-time password set by an admin: the user must choose their own before anything else."""

from portal.extensions import db
from portal.models import User
from tests.helpers import bearer, csrf_token_from, submit

NEW = "violet harbour compass drum"


def test_a_one_time_password_leads_to_the_password_page_and_nowhere_else(app, client, auth, f):
    user = f.user("operator", email="new@example.com")
    f.update(user, must_change_password=True)
    token = f.api_token(user)
    login = auth.login("new@example.com")
    assert login.status_code == 302
    for path in ("/admin/", "/admin/clients", "/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].endswith("/account/password"), path
    page = client.get("/account/password")
    assert page.status_code == 200 and "Choose your password" in page.text
    # API tokens are not sessions: they keep working
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 200

    from tests.factories import PASSWORD

    done = submit(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW, "confirm_password": NEW},
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/")
    assert db.session.get(User, user.id).must_change_password is False
    assert client.get("/admin/").status_code == 200


def test_logout_still_works_before_the_new_password(client, auth, f):
    user = f.user("client", email="c@example.com", client=f.client("ACME"))
    f.update(user, must_change_password=True)
    auth.login("c@example.com")
    page = client.get("/account/password")
    response = client.post("/logout", data={"csrf_token": csrf_token_from(page.text)})
    assert response.status_code == 302
    assert client.get("/client/").headers["Location"].startswith("/login")

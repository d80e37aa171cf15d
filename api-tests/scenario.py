"""A small scenario through a client generated from kerro's /openapi.json
(openapi-python-client), using its typed models only: define a purpose, an
attribute and a form, create a subject, submit its answers, read /v1/me;
then create an API token, use it, list it and revoke it.

Usage: scenario.py BASE_URL ADMIN_TOKEN. Exits non-zero on the first surprise.
"""

import sys

from kerro_client import AuthenticatedClient
from kerro_client.api.collection import submit
from kerro_client.api.schema import put_attribute, put_form, put_purpose
from kerro_client.api.self_service import me
from kerro_client.api.staff import create_token, list_tokens, revoke_token
from kerro_client.api.subjects import create_subject, issue_token
from kerro_client.models import (
    AttrKind,
    AttrOption,
    AttributeSpec,
    ConsentState,
    CreatedSubject,
    Form,
    FormBody,
    LegalBasis,
    Localized,
    NewSubjectBody,
    NewTokenBody,
    Role,
    TokenCreated,
    ApiToken,
    Purpose,
    PurposeSpec,
    Attribute,
    SubjectTokenIssued,
    SubjectView,
    SubmissionBody,
    SubmissionBodyAnswers,
    SubmissionBodyConsents,
    SubmissionRecorded,
)


def text(en: str) -> Localized:
    t = Localized()
    t["en"] = en
    return t


def expect(kind, response, status):
    """The parsed body of `response`, which must have `status` and be a `kind`."""
    assert response.status_code == status, (response.status_code, response.content)
    assert isinstance(response.parsed, kind), (kind, response.parsed)
    return response.parsed


def main(base_url: str, admin_token: str) -> None:
    staff = AuthenticatedClient(base_url=base_url, token=admin_token, raise_on_unexpected_status=True)

    purpose = expect(Purpose, put_purpose.sync_detailed(
        "scenario_news",
        client=staff,
        body=PurposeSpec(
            title=text("Scenario newsletter"),
            description=text("A monthly letter about the scenario."),
            legal_basis=LegalBasis.CONSENT,
            retention_days=365,
        ),
    ), 201)
    assert purpose.key == "scenario_news"

    attribute = expect(Attribute, put_attribute.sync_detailed(
        "scenario_topic",
        client=staff,
        body=AttributeSpec(
            title=text("Which topic interests you?"),
            kind=AttrKind.CHOICE,
            options=[
                AttrOption(value="cloud", title=text("Cloud")),
                AttrOption(value="ot", title=text("Industrial systems")),
            ],
            purposes=["scenario_news"],
        ),
    ), 201)
    assert attribute.kind == AttrKind.CHOICE

    form = expect(Form, put_form.sync_detailed(
        "scenario_form",
        client=staff,
        body=FormBody(
            title=text("Scenario form"),
            notice=text("We use your answer for the newsletter only."),
            attributes=["scenario_topic"],
            purposes=["scenario_news"],
        ),
    ), 201)
    assert isinstance(form.notice_version, int), form

    created = expect(CreatedSubject, create_subject.sync_detailed(
        client=staff, body=NewSubjectBody(email="scenario@example.invalid")
    ), 201)
    issued = expect(SubjectTokenIssued, issue_token.sync_detailed(
        created.id, client=staff, kerro_access_reason="api scenario: act for a test subject"), 201)
    subject = AuthenticatedClient(base_url=base_url, token=issued.token, raise_on_unexpected_status=True)

    recorded = expect(SubmissionRecorded, submit.sync_detailed(
        "scenario_form",
        client=subject,
        body=SubmissionBody(
            notice_version=form.notice_version,
            answers=SubmissionBodyAnswers.from_dict({"scenario_topic": "cloud"}),
            consents=SubmissionBodyConsents.from_dict({"scenario_news": True}),
            language="en",
        ),
    ), 201)
    assert recorded.subject == created.id
    assert recorded.declarations == ["scenario_topic"], recorded.declarations
    assert [r.state for r in recorded.receipts] == [ConsentState.GIVEN], recorded.receipts

    view = expect(SubjectView, me.sync_detailed(client=subject), 200)
    assert view.subject.id == created.id
    assert [(d.attribute, d.value) for d in view.declarations] == [("scenario_topic", "cloud")]
    assert view.declarations[0].provenance.form == "scenario_form"
    assert [(c.purpose, c.active) for c in view.consents] == [("scenario_news", True)]

    made = expect(TokenCreated, create_token.sync_detailed(
        client=staff, body=NewTokenBody(name="scenario sync", role=Role.SERVICE, expires_in_days=7)), 201)
    program = AuthenticatedClient(base_url=base_url, token=made.token, raise_on_unexpected_status=False)
    listed = list_tokens.sync_detailed(client=staff)
    assert listed.status_code == 200, listed.content
    mine = [t for t in listed.parsed if isinstance(t, ApiToken) and t.id == made.id]
    assert len(mine) == 1 and mine[0].name == "scenario sync", listed.parsed
    assert made.token not in listed.content.decode(), "a listed token shows no secret"
    assert revoke_token.sync_detailed(made.id, client=staff).status_code == 204
    refused = create_token.sync_detailed(client=program, body=NewTokenBody(name="x", role=Role.SERVICE))
    assert refused.status_code == 401 and b"token_revoked" in refused.content, refused.content
    print(f"scenario ok: subject {created.id} declared scenario_topic=cloud with consent to scenario_news;"
          f" token {made.id} created, listed without its secret and revoked")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

"""Entity names read from identifiers, plurals and articles: a wrong singular makes a second table."""

from __future__ import annotations

import pytest

from agentscaler.naming import entity_of_parameter, plural, singular, spoken, with_article


def test_plurals_of_ie_nouns_and_y_nouns():
    assert singular("movies") == "movie" and plural("movie") == "movies"
    assert singular("cookies") == "cookie"
    assert singular("categories") == "category" and singular("companies") == "company"


def test_only_the_last_word_of_an_identifier_is_made_singular():
    assert entity_of_parameter("sales_rep_id") == "sales_rep"
    assert entity_of_parameter("order_items_id") == "order_item"
    assert entity_of_parameter("news_article_id") == "news_article"
    assert entity_of_parameter("phone_number") is None


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("applicant", "an applicant"),
        ("organizer", "an organizer"),
        ("user", "a user"),
        ("unit price", "a unit price"),
        ("umbrella policy", "an umbrella policy"),
        ("hour", "an hour"),
        ("house", "a house"),
        ("one-way ticket", "a one-way ticket"),
        ("SMS plan", "an SMS plan"),
        ("UX review", "a UX review"),
        ("parking account holder", "a parking account holder"),
        ("estimated amount", "an estimated amount"),
    ],
)
def test_indefinite_article_follows_the_sound(phrase, expected):
    assert with_article(phrase) == expected


def test_identifiers_are_said_as_words():
    assert spoken("scheduled_send_at") == "scheduled send time"
    assert spoken("order_id") == "order ID"
    assert spoken("customerIban") == "customer IBAN"
    assert spoken("dob") == "date of birth"
    assert spoken("at") == "at"


def test_a_question_names_a_fact_by_its_column_or_its_spoken_form():
    from agentscaler.records import UserFact
    from agentscaler.simulate.policies.facts import facts_asked

    fact = UserFact(name="scheduled_send_at", value="2025-10-03T08:00:00Z", description="")
    assert facts_asked([fact], "What scheduled send time would you like?") == [fact]
    assert facts_asked([fact], "Please give me the scheduled_send_at value.") == [fact]
    assert facts_asked([fact], "What is the subject?") == []


def test_the_agent_describes_the_record_a_call_acts_on():
    from agentscaler.simulate.policies.script import describe_call

    assert describe_call("cancel_order", {"order_id": "ORD-7", "reason": "changed_mind"}) == (
        "cancel order ORD-7 with reason changed_mind"
    )
    # another record's id is a detail, not the thing acted on
    assert describe_call("submit_offer", {"buyer_id": "BYR-4", "offer_amount": 430}) == (
        "submit an offer with buyer ID BYR-4 and offer amount 430"
    )
    assert describe_call("reply_email", {"email_id": "MSG-1"}) == "reply to email MSG-1"

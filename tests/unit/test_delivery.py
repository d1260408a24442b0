"""The delivery stack: budgets, late answers, https-only URLs, redacted and scrubbed URLs."""

from __future__ import annotations

import hashlib
import logging
import re
import socket
import time

import pytest

from orchestration.config import (
    ConfigError,
    CrmConfigError,
    check_base_url,
    default_alert_destination,
    delivery_budget,
    url_problem,
)
from orchestration.delivery import (
    REDACTED,
    Budget,
    BudgetExhausted,
    HttpClient,
    RetryPolicy,
    Scrubber,
    TransientDeliveryError,
    is_redacted_url,
    redact_url,
    url_secrets,
)
from tests.support.crm_servers import FakeHubSpot
from tests.support.webhook_receiver import Receiver

log = logging.getLogger("tests.delivery")
SLACK = "https://hooks.slack.com/services/T0AB12CD3/B0EF45GH6/q8Rt0kenSecretValue9zz"


def client(policy: RetryPolicy, **kwargs) -> HttpClient:
    return HttpClient("webhook", policy, log, **kwargs)


# --- redaction and scrubbing of URLs --------------------------------------------------------


def test_a_destination_is_stored_as_scheme_host_and_a_fingerprint():
    fingerprint = hashlib.sha256(SLACK.encode()).hexdigest()[:8]
    assert redact_url(SLACK) == f"https://hooks.slack.com/… sha256:{fingerprint}"
    assert redact_url(redact_url(SLACK)) == redact_url(SLACK)  # idempotent
    assert is_redacted_url(redact_url(SLACK)) and not is_redacted_url(SLACK)
    other = redact_url(SLACK.replace("9zz", "9zy"))
    assert other != redact_url(SLACK)  # two routes stay apart
    assert redact_url("https://user:pw@Example.com:8443/in?token=abc").startswith(
        "https://example.com:8443/… sha256:"
    )
    assert redact_url("http://[::1]:9000/hook").startswith("http://[::1]:9000/… sha256:")
    assert redact_url("not a url").startswith("/… sha256:")


def test_the_secret_parts_of_a_url_are_scrubbed_wherever_they_appear():
    scrub = Scrubber(url_secrets(SLACK))
    path = "/services/T0AB12CD3/B0EF45GH6/q8Rt0kenSecretValue9zz"
    for text in (
        SLACK,
        f"no hook at {path}",
        "token q8Rt0kenSecretValue9zz",
        SLACK.replace("/", "%2F"),
    ):
        assert "q8Rt0ken" not in scrub(text) and REDACTED in scrub(text)
    assert scrub("webhook refused the alert: services unavailable") == (
        "webhook refused the alert: services unavailable"
    )  # a word of the path is not a secret
    query = Scrubber(url_secrets("https://x.example.com/in?token=s3cr3tvalue&team=a"))
    assert "s3cr3tvalue" not in query("bad token s3cr3tvalue")


# --- https only, except loopback ------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://api.hubapi.com",
        "http://127.0.0.1:8080",
        "http://127.8.9.10/x",
        "http://localhost:3000",
        "http://[::1]:80",
    ],
)
def test_https_or_a_loopback_host_is_accepted(url):
    assert url_problem(url) is None
    assert check_base_url("HUBSPOT_BASE_URL", url + "/") == url.rstrip("/")


def test_plain_http_elsewhere_is_a_clear_error_naming_the_variable():
    with pytest.raises(CrmConfigError) as raised:
        check_base_url("SALESFORCE_INSTANCE_URL", "http://acme.my.salesforce.com")
    message = str(raised.value)
    assert message.startswith("SALESFORCE_INSTANCE_URL uses plain http")
    assert "https is required" in message
    for url in ("ftp://x", "https://", "acme.my.salesforce.com", "https://a b.com"):
        with pytest.raises(CrmConfigError, match="must be an https URL"):
            check_base_url("SALESFORCE_INSTANCE_URL", url)
    assert "https is required" in url_problem("http://hooks.example.com/a")  # for validate


def test_an_insecure_default_alert_url_is_refused_without_quoting_it():
    env = {"SLACK_WEBHOOK_URL": SLACK.replace("https:", "http:")}
    with pytest.raises(ConfigError) as raised:
        default_alert_destination("slack", env)
    assert str(raised.value).startswith("SLACK_WEBHOOK_URL uses plain http (host hooks.slack.com)")
    assert "q8Rt0ken" not in str(raised.value)
    assert default_alert_destination("slack", {"SLACK_WEBHOOK_URL": SLACK}) == SLACK
    assert default_alert_destination("webhook", {}) is None


# --- the budget -----------------------------------------------------------------------------


def test_the_delivery_budget_setting():
    assert delivery_budget({}) == 60
    assert delivery_budget({"LEADSCORE_DELIVERY_BUDGET_SECONDS": " 90 "}) == 90
    for raw, problem in (
        ("soon", "is not a number"),
        ("0", "must be positive"),
        ("-5", "positive"),
    ):
        with pytest.raises(
            ConfigError, match=f"LEADSCORE_DELIVERY_BUDGET_SECONDS='{raw}'.*{problem}"
        ):
            delivery_budget({"LEADSCORE_DELIVERY_BUDGET_SECONDS": raw})


def test_a_budget_counts_down_on_its_clock():
    now = [100.0]
    budget = Budget(5, clock=lambda: now[0])
    assert budget.remaining() == 5 and not budget.spent
    now[0] = 106.0
    assert budget.remaining() == 0 and budget.spent
    assert Budget(None).remaining() == float("inf")
    assert Budget(5).describe() == "delivery budget of 5 s"


def test_nothing_is_sent_once_the_budget_is_spent():
    receiver = Receiver(failures=[])
    try:
        with client(RetryPolicy(), budget=Budget(0)) as spent:
            with pytest.raises(BudgetExhausted, match="left for the next run"):
                spent.request("POST", receiver.url, {})
            assert spent.requests == 0
    finally:
        receiver.close()
    assert receiver.received == []


def test_a_late_answer_is_not_retried_in_the_same_run():
    receiver = Receiver(failures=[], delay=0.6)
    sleeps: list[float] = []
    policy = RetryPolicy(attempts=3, timeout_seconds=0.2, sleep=sleeps.append)
    try:
        with client(policy) as slow, pytest.raises(TransientDeliveryError) as raised:
            slow.request("POST", receiver.url, {"n": 1})
    finally:
        receiver.close()
    error = raised.value
    assert error.maybe_delivered and error.tries == 1 and sleeps == []
    assert error.describe() == (
        "webhook did not answer within 0.2 s; it may have arrived, so it is not sent again "
        "in this run"
    )
    assert receiver.received == [{"n": 1}]


def test_the_timeout_is_cut_to_what_is_left_of_the_budget():
    receiver = Receiver(failures=[], delay=2.0)
    policy = RetryPolicy(timeout_seconds=10, budget_seconds=0.3)
    try:
        started = time.monotonic()
        with client(policy) as slow, pytest.raises(TransientDeliveryError) as raised:
            slow.request("POST", receiver.url, {})
        elapsed = time.monotonic() - started
    finally:
        receiver.close()
    assert elapsed < 1.0  # not the policy's 10 s, nor the receiver's 2 s
    assert re.fullmatch(r"webhook did not answer within 0\.[0-3]\d* s", str(raised.value))


def test_a_connection_refused_is_retried_with_backoff():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps: list[float] = []
    policy = RetryPolicy(attempts=3, backoff_seconds=0.01, timeout_seconds=1, sleep=sleeps.append)
    with client(policy) as refused, pytest.raises(TransientDeliveryError) as raised:
        refused.request("POST", f"http://127.0.0.1:{port}/hook", {})
    assert raised.value.tries == 3 and sleeps == [0.01, 0.02]
    assert not raised.value.maybe_delivered


def test_a_retry_wait_longer_than_the_budget_is_not_waited_for():
    sleeps: list[float] = []
    policy = RetryPolicy(attempts=5, budget_seconds=5, sleep=sleeps.append)
    with FakeHubSpot("t0ken") as server:
        server.inject(429, retry_after="30")
        api = HttpClient("HubSpot", policy, log, base_url=server.url, token="t0ken")
        with api, pytest.raises(TransientDeliveryError) as raised:
            api.request("GET", "/crm/v3/properties/contacts")
    assert sleeps == [] and raised.value.tries == 1 and raised.value.out_of_budget
    assert raised.value.describe().endswith("(gave up after 1 attempts: delivery budget used up)")


def test_httpx_request_log_lines_are_scrubbed(caplog):
    caplog.set_level(logging.INFO, logger="httpx")
    receiver = Receiver(failures=[])
    url = receiver.base_url + "/services/T0AB12CD3/B0EF45GH6/q8Rt0kenSecretValue9zz"
    try:
        with client(RetryPolicy(), scrub=Scrubber(url_secrets(url))) as hook:
            hook.request("POST", url, {})
    finally:
        receiver.close()
    assert "HTTP Request: POST [redacted]" in caplog.text
    assert "q8Rt0ken" not in caplog.text
    assert logging.getLogger("httpx").filters == []  # removed when the client closed

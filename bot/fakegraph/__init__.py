"""A fake Graph API server for one Facebook Page, as strict as Meta, for tests and sandboxes.

Usage::

    fake = FakeGraph()
    await fake.start()
    # the bot runs with BOT_FB_GRAPH_URL=fake.graph_url and the fake's token and secret
    await fake.subscribe_webhook("http://127.0.0.1:8080/messenger/webhook", "verify-me")
    alice = fake.person("Сараа")
    await alice.send("Сайн байна уу")
    reply = await alice.next_message()

Send API (the 24-hour window and HUMAN_AGENT's 7 days, quick replies, button templates,
sender actions), Messenger Profile API, attachment downloads, Page posts and insights;
errors in Meta's shape; webhook deliveries signed, batched and retried.
``fake.observe(fn)`` sees each call and each message a person receives, as it happens
(the sandbox's web chat follows Messenger with it).
"""

from .delivery import FIELDS, VerificationFailed, Webhook, WebhookPost, sign
from .errors import GraphApiError
from .limits import SendLimits
from .people import FakePerson, Received, Sent
from .server import API_VERSION, DEFAULT_SCOPES, FakeGraph
from .state import Call, CdnFile, PagePost

__all__ = [
    "API_VERSION",
    "DEFAULT_SCOPES",
    "FIELDS",
    "Call",
    "CdnFile",
    "FakeGraph",
    "FakePerson",
    "GraphApiError",
    "PagePost",
    "Received",
    "SendLimits",
    "Sent",
    "VerificationFailed",
    "Webhook",
    "WebhookPost",
    "sign",
]

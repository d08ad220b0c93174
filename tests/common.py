from contextlib import contextmanager
from unittest.mock import patch

from odoo.tests import TransactionCase

from ..models import teleum_account, teleum_call_listing
from ..sandbox import TeleumSandbox

DEMO_LOGIN, DEMO_PASSWORD = "demo@example.com", "989864"
SECOND_LOGIN, SECOND_PASSWORD = "second@example.com", "second-pass-2"


# Client options for fault tests: one retry, no real backoff (10 s: the test harness raises lower timeouts)
FAST_CLIENT = {"timeout": 10, "retries": 1, "backoff": 0.01}


class TeleumCase(TransactionCase):
    """Tests against a real sandbox server over HTTP, one sandbox per test class."""

    sandbox_options = {"seed": 7, "months": 2, "calls_per_month": 60}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox = TeleumSandbox(**cls.sandbox_options).start()
        cls.addClassCleanup(cls.sandbox.stop)
        teleum_account._CLIENTS.clear()
        cls.env.company.country_id = cls.env.ref("base.ru")
        cls.account = cls.env["teleum.account"].create({
            "name": "Demo", "api_url": cls.sandbox.url, "login": DEMO_LOGIN, "password": DEMO_PASSWORD,
            "history_months": 2,
        })

    def setUp(self):
        super().setUp()
        self.sandbox.clear_faults()
        self.sandbox.reset_stats()

    @contextmanager
    def small_pages(self, size):
        with patch.object(teleum_call_listing, "CALL_PAGE_SIZE", size):
            yield

    def use_fast_client(self):
        """For this test: the fault-test client options, and no client cached from before."""
        self.startPatcher(patch.object(type(self.env["teleum.account"]), "_client_options",
                                       lambda account: dict(FAST_CLIENT)))
        teleum_account._CLIENTS.clear()
        self.addCleanup(teleum_account._CLIENTS.clear)

    def api_call_total(self, login=DEMO_LOGIN, password=DEMO_PASSWORD):
        """What Teleum reports for the months the account imports, read with a fresh client."""
        from ..teleum_api import TeleumClient
        client = TeleumClient(login, password, base_url=self.sandbox.url, timeout=30)
        total = 0
        for month in self.account._calls_months():
            total += client.report_calls(month.year, month.month, start=0, limit=1).count
        return total

    def forget_listings(self, account=None):
        """The import knows nothing of the months any more (no pass, no position in a month)."""
        account = (account or self.account).sudo()
        account.call_listing_ids.unlink()
        account.calls_pass_month = False

    def reading(self, account=None):
        """The listing of the month a stopped read resumes in (its offset: rows read)."""
        listings = (account or self.account).sudo().call_listing_ids
        return listings.filtered(lambda listing: listing.state == "reading")

    def forget_full_reads(self, account=None):
        """As if no month had been read in full for a day: the next sync reads every page."""
        (account or self.account).sudo().call_listing_ids.last_full_read = False

    def calls(self, account=None):
        return self.env["teleum.call"].search([("account_id", "=", (account or self.account).id)])

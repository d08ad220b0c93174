"""The screens that must stay fast at a million calls keep their answers: the search by contact
name (served by trigram indexes on res_partner) and the pivot and graph (served by the hourly
call statistics)."""

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestContactNameSearch(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.company = Partner.create({"name": "Zorblax Trading", "is_company": True})
        cls.person = Partner.create({"name": "Agrafena Quillby", "parent_id": cls.company.id})
        cls.other = Partner.create({"name": "Unrelated Person"})
        cls.account = cls.env["teleum.account"].create({"name": "Scale", "api_url": "http://127.0.0.1:9/api/v3/"})
        Call = cls.env["teleum.call"]
        base = {"account_id": cls.account.id, "company_id": cls.env.company.id, "status": "answered",
                "call_date": "2026-03-02 09:00:00"}
        cls.calls = {who: Call.create(dict(base, fingerprint=f"name-{who}", partner_id=partner.id))
                     for who, partner in (("company", cls.company), ("person", cls.person), ("other", cls.other))}

    def found(self, text):
        return self.env["teleum.call"].search([("account_id", "=", self.account.id), ("partner_id", "ilike", text)])

    def test_part_of_a_name_finds_the_contacts_calls(self):
        """A part of a contact's name finds its calls; a part of the company's name, the company's and its contacts'."""
        self.assertEqual(self.found("grafena Quil"), self.calls["person"])
        self.assertEqual(self.found("blax trad"), self.calls["company"] | self.calls["person"])
        self.assertEqual(self.found("Zorblax Trading, Agrafena"), self.calls["person"], "the full name as listed")
        self.assertFalse(self.found("Nobody Like This"))

    def test_name_search_can_use_the_trigram_indexes(self):
        """Every column of the contacts' name search has a trigram index: the OR is index scans, not a read of every contact."""
        if not self.env.registry.has_trigram:
            self.skipTest("pg_trgm is not installed in this database")
        query = self.env["teleum.call"]._search([("partner_id", "ilike", "grafena Quil")])
        sql = query.select()
        # a small table is read whole whatever its indexes: ask for anything but a full read
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        self.env.cr.execute("SET LOCAL enable_indexscan = off")
        self.env.cr.execute("EXPLAIN " + sql.code, sql.params)
        plan = "\n".join(row[0] for row in self.env.cr.fetchall())
        self.assertIn("teleum_res_partner_complete_name_trgm_idx", plan)
        self.assertNotIn("Seq Scan on res_partner", plan)

"""Filtering a page of records on a few of their columns without the ORM's per-record cost.

The follow-up of an imported page (leads, call-backs, chatter notes) selects subsets of the
page's thousand calls a dozen times. ``recordset.filtered(lambda c: …)`` builds a record and
goes through a field descriptor for each call and each field; ``select()`` reads each field's
values for the whole recordset from the cache at once (fetching what is missing, as
``mapped()`` does) and tests plain values.
"""

from odoo.fields import first


def column(records, fname):
    """The cached values of a scalar or many2one field of ``records``, in their order (a
    many2one gives ids; an empty value is None or False)."""
    if fname == "id":
        return list(records._ids)
    field = records._fields[fname]
    assert not field.relational or field.type == "many2one", fname
    if field.compute and field.store:
        field.recompute(records)
    cache = records.env.cache
    values = cache.get_until_miss(records, field)
    while len(values) < len(records):
        remaining = records.__class__(records.env, records._ids[len(values):], records._prefetch_ids)
        field.__get__(first(remaining))  # fetches the rest of the prefetch set, as mapped() does
        values += cache.get_until_miss(remaining, field)
    return values


def select(records, fnames, test):
    """The records for which ``test(*values of fnames)`` is true, in their order."""
    columns = [column(records, fname) for fname in fnames]
    ids = tuple(id_ for id_, *values in zip(records._ids, *columns, strict=True) if test(*values))
    return records.__class__(records.env, ids, records._prefetch_ids)  # prefetching with the whole page

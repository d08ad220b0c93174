"""One multi-row INSERT for many new records of a model, leaving them exactly as ``create()`` would.

The import makes tens of thousands of records at a time (calls, recordings, chatter notes).
``create()`` spends most of that in Python, per record and per field; ``sql_create()`` sends the
rows with one COPY, then does what ``create()`` does after its own INSERT: recompute what depends on the new rows elsewhere, invalidate the one2many caches of the
records they point to, check constraints and companies. It refuses (returns ``None``, and the
caller uses ``create()``) whatever it cannot do the same way: a stored computed field it is not
told how to fill, translated or company-dependent columns, ``_inherits``, ``_parent_store``, or a
value for a field without a column. Tests store the same records both ways and compare the rows.
"""

import io

from odoo import models

# Column types whose value goes to PostgreSQL as it is given (False is NULL, as create() writes it).
_PLAIN = ("char", "text", "selection", "many2one", "many2one_reference", "date", "datetime", "reference")


def insert_columns(model, vals_list, computes=None):
    """The columns of a set-based insert of ``vals_list`` into ``model``, or None when only create() will do.

    ``computes``: {compute method name: function(values) -> {field: value}} for the stored
    computed fields the caller fills itself.
    """
    computes = computes or {}
    if model._inherits or model._parent_store:
        return None
    stored = {fn: f for fn, f in model._fields.items()
              if f.store and f.column_type and fn not in models.MAGIC_COLUMNS}
    if any(f.compute and f.compute not in computes for f in stored.values()):
        return None
    if any(f.translate or f.company_dependent or f.type not in (*_PLAIN, "boolean", "integer", "float", "monetary",
                                                                 "html")
           for f in stored.values()):
        return None
    given = set().union(*vals_list)
    if not given <= set(stored):
        return None
    missing = [fn for fn, f in stored.items() if not f.compute and any(fn not in v for v in vals_list)]
    return {"fields": stored, "defaults": model.default_get(missing) if missing else {}, "computes": computes}


def column_value(field, value, record):
    """A value as create() writes it to its column."""
    if field.type == "boolean":
        return bool(value)
    if field.type == "integer":
        return int(value or 0)
    if field.type in ("float", "monetary"):
        return float(value or 0.0)
    if value is False or value is None:
        return None
    if field.type in ("text", "selection", "many2one", "many2one_reference", "reference") or (
            field.type == "char" and not field.size and isinstance(value, str)):
        return value
    # dates (checked naive), html (sanitized as create() does), a char's size
    return field.convert_to_column_insert(value, record)


def copy_text(value):
    """A column value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, (int, float)):
        return repr(value)
    return str(value).translate(_COPY_ESCAPES)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def sql_create(model, vals_list, columns):
    """Insert ``vals_list`` (``columns`` from ``insert_columns()``) in one go; the new records.

    One COPY of the rows, their ids taken from the table's sequence beforehand: PostgreSQL reads
    COPY's rows about twice as fast as a multi-row INSERT's text, which it has to parse."""
    model.check_access("create")
    model.flush_model()
    cr = model.env.cr
    now = cr.now()
    stored = columns["fields"]
    computes = columns["computes"]
    computed = [fn for fn, field in stored.items() if field.compute]
    methods = list(dict.fromkeys(stored[fn].compute for fn in computed))
    fields_ = list(stored.items())
    log = [copy_text(v) for v in (model.env.uid, now, model.env.uid, now)] if model._log_access else []
    cr.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
               (model._table, len(vals_list)))
    ids = [r[0] for r in cr.fetchall()]
    lines = []
    for id_, vals in zip(ids, vals_list, strict=True):
        row = dict(columns["defaults"], **vals)
        for method in methods:
            row.update(computes[method](row))
        # a field neither given nor defaulted is left NULL, as create() leaves it
        lines.append("\t".join([str(id_), *(copy_text(column_value(field, row[fname], model)) if fname in row
                                             else "\\N" for fname, field in fields_), *log]))
    names = ["id", *(fname for fname, _field in fields_)]
    if model._log_access:
        names += ["create_uid", "create_date", "write_uid", "write_date"]
    cr.copy_expert('COPY "%s" (%s) FROM STDIN' % (model._table, ", ".join(f'"{n}"' for n in names)),
                        io.StringIO("\n".join(lines) + "\n"))
    records = model.browse(ids)
    names = list(stored)
    # What create() does after its INSERT, minus filling the cache: recompute what depends on the
    # new rows elsewhere (nothing computed here: those values were inserted), one2many caches of
    # the records they point to, constraints, the company check.
    with model.env.protecting([stored[fn] for fn in computed], records):
        records.modified(names, create=True)
    for fname in names:
        for inverse in model.pool.field_inverses[stored[fname]]:
            model.env[inverse.model_name].invalidate_model([inverse.name])
    records._validate_fields(names)
    if model._check_company_auto:
        records._check_company()
    return records

"""Many new records of a model stored in one go, exactly as ``create()`` would leave them.

The import makes tens of thousands of records at a time (calls, recordings, chatter notes).
``create()`` spends most of that in Python, per record and per field; ``sql_create()`` sends the
rows with one COPY, then does what ``create()`` does after its own INSERT: recompute what
depends on the new rows elsewhere, invalidate the one2many caches of the records they point to,
check constraints and companies. ``insert_columns()`` refuses (returns ``None``: the caller uses
``create()``) what cannot be done the same way: a stored computed field it is not told how to
fill, translated or company-dependent columns, ``_inherits``, ``_parent_store``, a value for a
field without a column, and any model that another module (or an automation rule) extends:
``set_based_refusal()`` says why, and then every record goes through ``create()`` so that those
extensions see it. Tests store the same records both ways and compare the rows.
"""

import io
import json
from datetime import datetime

from odoo import models

# Column types copy_converter() renders (with the numbers and booleans, html and json).
_PLAIN = ("char", "text", "selection", "many2one", "many2one_reference", "date", "datetime", "reference")


# The ORM methods a set-based insert or update goes around: if any module but the addon itself
# (or an automation rule, which patches them at run time) overrides one, only the ORM will do.
_BYPASSED = ("create", "_create", "write", "_write", "modified", "_validate_fields")


def set_based_refusal(model, module="teleum_telephony"):
    """Why records of ``model`` must be created and changed through the ORM in this database, or
    None when it is proven that nothing but ``module`` extends them: no other module's class in the
    model's MRO defines a method the set-based path goes around (base_automation patches them on
    the registry's class when a rule exists), no automation rule on the model, no stored field of
    another module (its value or its compute would be skipped)."""
    for cls in type(model).__mro__:
        if cls in (models.BaseModel, models.Model, models.AbstractModel):
            break
        owner = getattr(cls, "_module", None)
        for name in _BYPASSED:
            if name in vars(cls) and owner != module:
                return "%s.%s is overridden (by %s)" % (model._name, name, owner or "a patch, e.g. an automation rule")
    if "base.automation" in model.env and model.env["base.automation"].sudo().with_context(
            active_test=False).search_count([("model_name", "=", model._name)], limit=1):
        return "an automation rule watches %s" % model._name
    for fname, field in model._fields.items():
        if field.store and fname not in models.MAGIC_COLUMNS and field._module not in (module, None):
            return "%s.%s is a stored field of %s" % (model._name, fname, field._module)
    return None


def insert_columns(model, vals_list, computes=None):
    """The columns of a set-based insert of ``vals_list`` into ``model``, or None when only create() will do.

    ``computes``: {compute method name: function(values) -> {field: value}} for the stored
    computed fields the caller fills itself.
    """
    computes = computes or {}
    if model._inherits or model._parent_store or set_based_refusal(model):
        return None
    stored = {fn: f for fn, f in model._fields.items()
              if f.store and f.column_type and fn not in models.MAGIC_COLUMNS}
    if any(f.compute and f.compute not in computes for f in stored.values()):
        return None
    if any(f.translate or f.company_dependent or f.type not in (*_PLAIN, "boolean", "integer", "float", "monetary",
                                                                 "html", "json")
           for f in stored.values()):
        return None
    given = set().union(*vals_list)
    if not given <= set(stored):
        return None
    missing = [fn for fn, f in stored.items() if not f.compute and any(fn not in v for v in vals_list)]
    return {"fields": stored, "defaults": model.default_get(missing) if missing else {}, "computes": computes}


_NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_converter(field, record):
    """A function rendering a value of ``field`` as create() writes it to the column, in the text
    format of COPY (False is NULL, except for numbers and booleans)."""
    def general(value):  # dates (checked naive), html (sanitized as create() does), a char's size
        value = field.convert_to_column_insert(value, record) if value is not False and value is not None else None
        return _NULL if value is None else str(value).translate(_COPY_ESCAPES)

    def text(value):
        if value is False or value is None:
            return _NULL
        return value.translate(_COPY_ESCAPES) if isinstance(value, str) else general(value)

    def ident(value):
        if value is False or value is None:
            return _NULL
        return str(value) if type(value) is int else general(value)

    def moment(value):
        if value is False or value is None:
            return _NULL
        return str(value) if isinstance(value, datetime) and value.tzinfo is None else general(value)

    if field.type == "boolean":
        return lambda value: "t" if value else "f"
    if field.type == "integer":
        return lambda value: str(int(value or 0))
    if field.type in ("float", "monetary"):
        return lambda value: repr(float(value or 0.0))
    if field.type in ("text", "selection") or (field.type == "char" and not field.size):
        return text
    if field.type in ("many2one", "many2one_reference"):
        return ident
    if field.type == "datetime":
        return moment
    if field.type == "json":  # jsonb: an empty value is NULL, as fields.Json writes it
        return lambda value: json.dumps(value).translate(_COPY_ESCAPES) if value else _NULL
    return general


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
    converters = [(fname, copy_converter(field, model)) for fname, field in fields_]
    log = [str(v) for v in (model.env.uid, now, model.env.uid, now)] if model._log_access else []
    cr.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
               (model._table, len(vals_list)))
    ids = [r[0] for r in cr.fetchall()]
    rows = []
    for vals in vals_list:
        row = dict(columns["defaults"], **vals)
        for method in methods:
            row.update(computes[method](row))
        rows.append(row)
    # column by column (one comprehension each, much quicker than a generator per row); a field
    # neither given nor defaulted is left NULL, as create() leaves it
    cells = [[str(id_) for id_ in ids]]
    cells += [[convert(row[fname]) if fname in row else _NULL for row in rows] for fname, convert in converters]
    cells += [[value] * len(rows) for value in log]
    lines = ["\t".join(line) for line in zip(*cells, strict=True)]
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

"""Forms for the clerks' admin: the contract fields a clerk may correct.

The review screen (a plain form over a parse) and the reply change form (a model form over a
stored reply) share the same fields, named by the reply's columns, so a clerk sees the same
thing in both places. Either way the form only reports which fields the clerk changed
(`corrections`); writing goes through the ingest service, which records and keeps them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .ingest import COLUMN_FOR_KEY, DATE_KEYS, LIST_KEYS
from .models import Kind, Reply, Role
from .parsing import CONTRACT_KEYS

#: Structure the parser derives from the body; a clerk corrects the body, not these.
DERIVED_KEYS = ("sections", "commitments", "citations")
EDITABLE_KEYS: tuple[str, ...] = tuple(key for key in CONTRACT_KEYS if key not in DERIVED_KEYS)

#: How the fields are grouped on screen: (legend, contract keys).
FIELD_GROUPS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (
        _("文件"),
        ("title", "index_no", "doc_no", "publisher", "theme", "genre"),
    ),
    (
        _("日期"),
        ("written_date", "published_date", "signed_date"),
    ),
    (
        _("提案/建议"),
        ("kind", "session", "proposal_number", "proposal_title", "members", "proposer_org"),
    ),
    (
        _("答复"),
        (
            "addressee",
            "sender",
            "role",
            "lead_agency",
            "co_agencies",
            "reply_category",
            "signer",
        ),
    ),
    (_("正文"), ("body_text",)),
)

_LIST_SEPARATORS = re.compile(r"[、，,；;\n]+")


def column_for(key: str) -> str:
    """The Reply column (and form field name) holding contract key `key`."""
    return COLUMN_FOR_KEY.get(key, key)


def key_for(column: str) -> str:
    for key, name in COLUMN_FOR_KEY.items():
        if name == column:
            return key
    return column


def field_label(key: str) -> str:
    """The Chinese label of a contract key (the Reply column's verbose name)."""
    if key in DERIVED_KEYS:
        return str(
            {"sections": _("正文分部"), "commitments": _("承诺事项"), "citations": _("引用文件")}[
                key
            ]
        )
    return str(Reply._meta.get_field(column_for(key)).verbose_name)


def plain(key: str, value: Any) -> Any:
    """A contract value in the one shape used for comparison and for corrections:
    ISO date strings, lists of trimmed names, trimmed strings, None for "not stated"."""
    if key in DATE_KEYS:
        if isinstance(value, dt.date):
            return value.isoformat()
        return value or None
    if key in LIST_KEYS:
        return [str(item).strip() for item in value or [] if item and str(item).strip()]
    if value is None:
        return None
    # Browsers send text areas with CRLF line ends; the stored text uses LF.
    text = str(value).replace("\r\n", "\n").strip()
    return text or None


class NameListField(forms.Field):
    """Names separated by 、 (or commas) on screen, a list of names in the data."""

    widget = forms.TextInput(attrs={"class": "vTextField"})

    def __init__(self, *, item_max_length: int, **kwargs: Any) -> None:
        self.item_max_length = item_max_length
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "、".join(value)
        return value

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list | tuple):
            items = [str(item) for item in value]
        else:
            items = _LIST_SEPARATORS.split(value or "")
        names = [item.strip() for item in items if item.strip()]
        too_long = [name for name in names if len(name) > self.item_max_length]
        if too_long:
            raise ValidationError(
                _("名称过长（最多 %(limit)d 字）：%(name)s"),
                params={"limit": self.item_max_length, "name": too_long[0]},
            )
        return names


class DocumentDateField(forms.DateField):
    """A date typed as the documents write it: `2024-05-16`, `2024年5月16日`,
    `二〇二四年五月十六日`. Shown as YYYY-MM-DD, the form clerks compare with the source;
    a plain text box, because a browser's date picker shows the browser's locale order."""

    widget = forms.DateInput(format="%Y-%m-%d", attrs={"placeholder": _("年-月-日"), "size": 12})
    input_formats = ["%Y-%m-%d"]

    def to_python(self, value: Any) -> dt.date | None:
        if isinstance(value, str) and value.strip():
            from .parsing.dates import parse_date_line

            parsed = parse_date_line(value)
            if parsed is not None:
                return parsed
        return super().to_python(value)


def _contract_field(key: str) -> forms.Field:
    model_field = Reply._meta.get_field(column_for(key))
    label = model_field.verbose_name
    if key in DATE_KEYS:
        return DocumentDateField(label=label, required=False)
    if key == "members":
        return NameListField(
            label=label, item_max_length=50, help_text=_("多人时以“、”分隔，只写姓名。")
        )
    if key == "co_agencies":
        return NameListField(label=label, item_max_length=200, help_text=_("以“、”分隔。"))
    if key in ("kind", "role"):
        choices = Kind.choices if key == "kind" else Role.choices
        return forms.ChoiceField(
            label=label, required=False, choices=[("", _("（未注明）")), *choices]
        )
    if key == "body_text":
        return forms.CharField(
            label=label,
            strip=False,
            widget=forms.Textarea(attrs={"rows": 16, "cols": 60}),
        )
    return forms.CharField(
        label=label,
        max_length=model_field.max_length,
        required=key == "title",
        widget=forms.TextInput(attrs={"class": "vTextField"}),
    )


def contract_fields() -> dict[str, forms.Field]:
    return {column_for(key): _contract_field(key) for key in EDITABLE_KEYS}


def form_initial(values: dict[str, Any]) -> dict[str, Any]:
    """Contract values (as the parser or `current_values` give them) → form initial data."""
    initial: dict[str, Any] = {}
    for key in EDITABLE_KEYS:
        value = values.get(key)
        if key in DATE_KEYS and isinstance(value, str) and value:
            value = dt.date.fromisoformat(value)
        elif key in LIST_KEYS:
            value = list(value or [])
        elif value is None:
            value = ""
        initial[column_for(key)] = value
    return initial


class ContractFieldsMixin:
    """Installs the contract fields and tells which of them the clerk changed."""

    #: The stored reply these values belong to (it may keep its own 索引号).
    owner: Reply | None = None

    def install_contract_fields(self) -> None:
        self.fields.update(contract_fields())  # type: ignore[attr-defined]

    def contract_values(self) -> dict[str, Any]:
        data = self.cleaned_data  # type: ignore[attr-defined]
        return {key: plain(key, data.get(column_for(key))) for key in EDITABLE_KEYS}

    def corrections(self, before: dict[str, Any]) -> dict[str, Any]:
        """{contract key: new value} for the fields whose value differs from `before`."""
        return {
            key: value
            for key, value in self.contract_values().items()
            if value != plain(key, before.get(key))
        }

    def clean_index_no(self) -> str | None:
        value = (self.cleaned_data.get("index_no") or "").strip() or None  # type: ignore[attr-defined]
        if value:
            holder = Reply.objects.filter(index_no=value)
            if self.owner is not None and self.owner.pk:
                holder = holder.exclude(pk=self.owner.pk)
            other = holder.first()
            if other is not None:
                raise ValidationError(
                    _("索引号 %(index_no)s 已属于另一份答复（#%(id)s《%(title)s》）。"),
                    params={"index_no": value, "id": other.pk, "title": other.title},
                )
        return value


class ReviewForm(ContractFieldsMixin, forms.Form):
    """The fields of one uploaded file, prefilled from the parse, before it is stored."""

    def __init__(self, *args: Any, owner: Reply | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.install_contract_fields()


class ReplyAdminForm(ContractFieldsMixin, forms.ModelForm):
    """The reply change form: contract fields and status. The admin saves it through
    `correct_reply` and `set_status`, never by saving the model form."""

    class Meta:
        model = Reply
        fields = ["status"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner = self.instance
        # The admin lists these columns in its fieldsets, so the model form already took
        # their initial values from the instance; only the fields themselves are replaced.
        self.install_contract_fields()

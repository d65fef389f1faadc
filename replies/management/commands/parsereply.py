"""`manage.py parsereply PATH [PATH…] [--json]`: parse reply documents without a database.

With `--json` each file prints one line, the contract object (`ParsedReply.to_contract()`).
Without it, a readable summary per file. A file that cannot be read or parsed prints one line
`parsereply: <path>: <reason>` on stderr; the others still print, and the exit status is 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from replies.parsing import ParsedReply, ParseError, parse_document

_SUMMARY_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "标题 title"),
    ("index_no", "索引号 index_no"),
    ("doc_no", "文号 doc_no"),
    ("theme", "主题分类 theme"),
    ("genre", "体裁分类 genre"),
    ("publisher", "发布机构 publisher"),
    ("written_date", "成文日期 written_date"),
    ("published_date", "发布日期 published_date"),
    ("signed_date", "落款日期 signed_date"),
    ("kind", "类型 kind"),
    ("session", "会议 session"),
    ("proposal_number", "编号 proposal_number"),
    ("proposal_title", "提案/建议标题 proposal_title"),
    ("members", "委员/代表 members"),
    ("proposer_org", "提出单位 proposer_org"),
    ("addressee", "称呼 addressee"),
    ("sender", "答复单位 sender"),
    ("role", "主办/协办 role"),
    ("lead_agency", "主办单位 lead_agency"),
    ("co_agencies", "会同单位 co_agencies"),
    ("reply_category", "答复类别 reply_category"),
    ("signer", "签发人 signer"),
)


class Command(BaseCommand):
    help = "Parse reply documents (HTML, text, .docx) and print the extracted fields."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="reply documents to parse")
        parser.add_argument(
            "--json", action="store_true", help="print one contract JSON object per line"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        failed = False
        for path_name in options["paths"]:
            reply = self._parse_one(path_name)
            if reply is None:
                failed = True
                continue
            if options["json"]:
                self.stdout.write(json.dumps(reply.to_contract(), ensure_ascii=False))
            else:
                self.stdout.write(self._summary(path_name, reply))
        self.stdout.flush()
        if failed:
            sys.exit(1)

    def _parse_one(self, path_name: str) -> ParsedReply | None:
        path = Path(path_name)
        try:
            data = path.read_bytes()
        except OSError as error:
            self._fail(path_name, error.strerror or type(error).__name__)
            return None
        try:
            return parse_document(data, path.name)
        except ParseError as error:
            self._fail(path_name, str(error))
            return None

    def _fail(self, path_name: str, reason: str) -> None:
        self.stdout.flush()
        self.stderr.write(f"parsereply: {path_name}: {reason}")
        self.stderr.flush()

    def _summary(self, path_name: str, reply: ParsedReply) -> str:
        contract = reply.to_contract()
        out = [f"== {path_name} ({reply.source_format}, {reply.encoding})"]
        for key, label in _SUMMARY_FIELDS:
            value = contract[key]
            if isinstance(value, list):
                value = "、".join(value) if value else "—"
            out.append(f"  {label}: {value if value not in (None, '') else '—'}")
        out.append(f"  正文 body_text: {len(reply.body_text)} 字 chars")
        out.append(f"  章节 sections: {len(reply.sections)}")
        for section in reply.sections:
            out.append(f"    - {section.heading}")
        out.append(f"  承诺 commitments: {len(reply.commitments)}")
        for commitment in reply.commitments:
            out.append(f"    - {commitment.heading or commitment.text[:40]}")
        out.append(f"  引用 citations: {len(reply.citations)}")
        for citation in reply.citations:
            suffix = f"（{citation.doc_no}）" if citation.doc_no else ""
            out.append(f"    - 《{citation.title}》{suffix}")
        out.append(f"  警告 warnings: {len(reply.warnings)}")
        for warning in reply.warnings:
            out.append(f"    ! {warning}")
        return "\n".join(out)

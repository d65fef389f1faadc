"""Open-data snapshot pages: the list at /datasets/ and the zip files themselves."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .dataset import find_snapshot, list_snapshots


@require_GET
def dataset_list(request: HttpRequest) -> HttpResponse:
    return render(request, "replies/datasets.html", {"snapshots": list_snapshots()})


@require_GET
def dataset_file(request: HttpRequest, filename: str) -> FileResponse:
    path = find_snapshot(filename)
    if path is None:
        raise Http404("no such snapshot")
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=filename, content_type="application/zip"
    )

"""What a serving process does once its application is loaded, before the first request."""

from __future__ import annotations

import gc


def settle() -> None:
    """Load the lazily built parts every search needs, then take everything alive now out of
    the garbage collector's reach (`gc.freeze`).

    A loaded Django process holds ~90,000 objects that live as long as it does; a full
    collection walks all of them, which on this project's 2-core machine takes 40 ms, and one
    falls due every dozen or so searches — measured as the slowest 5% of searches
    (docs/benchmarks.md). Frozen, they are never walked again, and a full collection only
    visits what requests created since."""
    from django.urls import get_resolver

    from replies import search

    get_resolver().url_patterns  # noqa: B018 (imports every view module)
    search.fold("預熱")  # OpenCC's dictionaries
    search.words("预热", for_index=False)  # the segmenter's
    gc.collect()
    gc.freeze()

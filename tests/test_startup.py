import gc

from archive.startup import settle
from replies import search


def test_settle_builds_the_search_tools_and_freezes_what_is_alive():
    try:
        settle()
        assert search._segmenter.cache_info().currsize == 1
        assert search._t2s.cache_info().currsize == 1
        # Everything alive at start-up is out of the collector's reach: a loaded Django
        # process holds tens of thousands of objects.
        assert gc.get_freeze_count() > 20_000
        assert len(gc.get_objects()) < gc.get_freeze_count() / 10
    finally:
        gc.unfreeze()


def test_the_wsgi_application_is_settled():
    import importlib

    import archive.wsgi

    try:
        gc.unfreeze()
        module = importlib.reload(archive.wsgi)  # runs the module as a server would
        assert callable(module.application)
        assert gc.get_freeze_count() > 20_000
    finally:
        gc.unfreeze()

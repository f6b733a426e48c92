from backoffice import cache


def test_configuration_is_loaded_once_within_the_ttl_and_again_after(settings, monkeypatch):
    settings.CONFIG_CACHE_SECONDS = 30
    cache.invalidate()
    loads = []
    clock = [100.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: clock[0])
    loader = lambda: loads.append(1) or len(loads)  # noqa: E731
    assert cache.cached("k", loader) == 1
    clock[0] = 129.0
    assert cache.cached("k", loader) == 1
    clock[0] = 131.0
    assert cache.cached("k", loader) == 2
    clock[0] = 50.0  # a clock that went back (frozen time in tests) never serves a stale entry
    assert cache.cached("k", loader) == 3
    cache.invalidate("k")
    assert cache.cached("k", loader) == 4
    cache.invalidate()


def test_an_admin_edit_clears_the_cache(settings, db):
    from cases.models import RoutingRule

    settings.CONFIG_CACHE_SECONDS = 30
    cache.invalidate()
    cache.cached("routing.rules", lambda: "stale")
    RoutingRule.objects.first().save()
    assert cache.cached("routing.rules", lambda: "fresh") == "fresh"
    cache.invalidate()

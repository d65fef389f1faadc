"""Interface language: Simplified Chinese unless the reader chose another with the switch.

Django's LocaleMiddleware would follow the browser's Accept-Language, so a researcher with an
English browser would never see the archive's default; here only the language cookie (set by
the switch) counts.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


class ChosenLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class ReadOnlyCorsMiddleware:
    """Let any site read the JSON API from a browser (GET/HEAD), as open-data APIs do.

    Nothing that changes data lives under /api/, and no credentials are allowed, so a wildcard
    origin is safe.
    """

    prefix = "/api/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(self.prefix):
            return self.get_response(request)
        if request.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META:
            from django.http import HttpResponse

            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response["Access-Control-Allow-Headers"] = "Accept, If-None-Match, If-Modified-Since"
            response["Access-Control-Max-Age"] = "86400"
        else:
            response = self.get_response(request)
        if request.method in ("GET", "HEAD", "OPTIONS"):
            response["Access-Control-Allow-Origin"] = "*"
            response["Access-Control-Expose-Headers"] = "ETag, Last-Modified"
        return response


class RejectNullCharactersMiddleware:
    """PostgreSQL text cannot hold U+0000, so a parameter carrying one can match nothing and
    would fail deep in a query; refuse it at the door with a 400 that names the parameter."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        bad = sorted(
            {
                key or "(empty)"
                for key, values in request.GET.lists()
                if "\x00" in key or any("\x00" in value for value in values)
            }
        )
        if "\x00" in request.path:
            bad.append("path")
        if not bad:
            return self.get_response(request)
        from django.http import HttpResponseBadRequest, JsonResponse

        message = "null characters (U+0000) are not allowed"
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": {name: [message] for name in bad}}, status=400)
        return HttpResponseBadRequest(f"{', '.join(bad)}: {message}\n", content_type="text/plain")

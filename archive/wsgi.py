import os

from django.core.wsgi import get_wsgi_application

from archive.startup import settle

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings.production")

application = get_wsgi_application()
settle()

"""The customer's status page (`/c/<token>/`): no staff login, a second factor first."""

from django.http import Http404
from django.views import View


class StatusView(View):
    def get(self, request, token):
        raise Http404

"""A case's files in the workspace: the upload (one file, multipart) and the one way to open a
file, scoped like the case (a case outside the user's queues is a 404, its files too)."""

from django.http import Http404
from django.utils.translation import gettext as _
from django.views import View

from backoffice.errors import DomainError
from cases.choices import AttachmentSource
from casework import selectors, services
from casework.downloads import file_response
from casework.forms import AttachmentForm
from casework.views.actions import CaseActionView
from casework.views.base import StaffRequiredMixin


class CaseFileView(StaffRequiredMixin, View):
    """GET: the file, inline for images (the workspace's previews use it), a download otherwise;
    `?download=1` always downloads."""

    http_method_names = ["get", "head"]

    def get(self, request, reference: str, pk: int):
        try:
            attachment = selectors.case_file(request.user, reference.upper(), pk)
        except DomainError as exc:
            raise Http404(str(exc)) from exc
        return file_response(attachment, download=request.GET.get("download") == "1")


class CaseFileUploadView(CaseActionView):
    form_key = "attach"

    def make_form(self, case):
        return AttachmentForm(self.request.POST, self.request.FILES)

    def perform(self, case, form):
        attachment = services.attach(
            case=case,
            file=form.cleaned_data["file"],
            source=AttachmentSource.WORKSPACE,
            actor=self.request.user,
        )
        return _("File %(name)s attached.") % {"name": attachment.original_name}

"""Files of distributions, served only to those who may see the dataset."""

from __future__ import annotations

from urllib.parse import quote

from django.http import FileResponse, Http404, HttpRequest

from kaifang.catalog.selectors import get_distribution_file_for
from kaifang.core.errors import NotFound


def distribution_file(request: HttpRequest, relative: str) -> FileResponse:
    try:
        path, dist = get_distribution_file_for(request.user, relative)
    except NotFound as exc:
        raise Http404 from exc
    response = FileResponse(path.open("rb"), content_type=dist.media_type or "application/octet-stream")
    name = f"{dist.dataset.title}{path.suffix}"
    response["Content-Disposition"] = f"attachment; filename=\"{path.name}\"; filename*=UTF-8''{quote(name)}"
    if dist.checksum:
        response["Digest"] = dist.checksum.replace("sha256:", "sha-256=")
    return response

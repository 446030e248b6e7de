"""Events of the catalog that apps later in the import order react to (followers are told of an update), so
that catalog never imports them. Sent inside the service's transaction, after the change is written.

dataset_changed(sender=Dataset, dataset=..., change=..., actor=..., reason=...), change one of:
  "published"          the entry became public (first publication or re-publication)
  "updated"            a published entry's metadata changed
  "withdrawn"          the entry was withdrawn from the public catalog
  "version_published"  a new data version became current (tabular)
"""

from django.dispatch import Signal

dataset_changed = Signal()

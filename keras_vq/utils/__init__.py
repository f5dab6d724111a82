"""Infrastructure the rest of keras-vq stands on; none of it knows a model.

* `atomic`: writing files a later run reads, so that a kill never leaves a torn one.
* `checks`: argument checks whose messages name the argument and its valid range; unknown keywords refused.
* `deprecation`: names kept for one release after a rename, which warn what to write instead.
* `extras`: which extra installs each optional dependency, and an import that says so.
* `paths`: where keras-vq keeps what it downloads, prepares and trains (`$KERAS_HOME/keras_vq`).
* `progress`: the progress of long stages (a live bar on a terminal, one line elsewhere).
"""

from keras_vq.utils import atomic, checks, deprecation, extras, paths, progress

__all__ = ["atomic", "checks", "deprecation", "extras", "paths", "progress"]

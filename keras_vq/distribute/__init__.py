"""Distribution: data-parallel training on every device, and the replica sums that keep statistics global.

`scope()` is the one switch (`keras_vq.distribute.data_parallel`, re-exported here): build, compile
and fit a model inside it, and the result equals one-device training with the same global batch.
`keras_vq.distribute.replicas` holds the sums over the replicas of a step, which the quantizers and
priors use so that their batch statistics are the global batch's.

Example:
    ```python
    import keras_vq

    print(keras_vq.distribute.replicas.num_replicas())  # 1: outside a data-parallel step, one replica
    ```
"""

from keras_vq.distribute import replicas
from keras_vq.distribute.data_parallel import (
    describe,
    predict_rows,
    process_share,
    scope,
    torch_train_step,
)

__all__ = ["describe", "predict_rows", "process_share", "replicas", "scope", "torch_train_step"]

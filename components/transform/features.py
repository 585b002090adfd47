"""Raw features as parsed from tf.Examples, in the shapes the transform graph computes on."""
import tensorflow as tf


def dense_column(tensor, default_value) -> tf.Tensor:
    """A `[batch]` tensor from a `[batch, 1]` dense or sparse/ragged feature (missing → default)."""
    if isinstance(tensor, tf.sparse.SparseTensor):
        tensor = tf.sparse.to_dense(
            tf.sparse.reset_shape(tensor, [tf.shape(tensor, out_type=tf.int64)[0], 1]),
            default_value=default_value)
    elif isinstance(tensor, tf.RaggedTensor):
        tensor = tensor[:, :1].to_tensor(default_value=default_value, shape=[None, 1])
    return tf.reshape(tensor, [-1])

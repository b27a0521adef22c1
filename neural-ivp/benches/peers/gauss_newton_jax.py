"""JAX peer of the `gauss_newton_product` criterion bench (neural-ivp/benches/bench_main.rs).

The same network (sinusoidal embedding L = 5, α = 1, scale 1.5; three swish layers of width
w; one output times the Dirichlet factor Π(1 − x_j²)), in f64, at the same n = 1000 grid
points of [−1, 1]³, and the product M̂v = (1/n)·Jᵀ(Jv) two ways:

* `reference`: the public code's `batch_Mv`, i.e. reverse-mode differentiation of
  ½·mean_i (J_i v)² with respect to v (one JVP and one VJP, primal recomputed), jit-compiled;
* `linearized`: `jax.linearize` once per θ (primal cached, as our operator caches it for a
  solve), then the jit-compiled JVP and its transpose.

Run (CPU, all cores):  pip install "jax[cpu]";  python gauss_newton_jax.py
It prints one JSON line per width with the median of 30 timed calls after warm-up.
"""

import json
import math
import time

import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)

N_POINTS = 1000
FREQS, ALPHA, SCALE = 5, 1.0, 1.5


def grid(n, d):
    per_axis = math.ceil(n ** (1.0 / d))
    # interior points of a uniform grid on [-1, 1]^d, first coordinate slowest
    h = 2.0 / (per_axis + 1)
    axis = -1.0 + h * jnp.arange(1, per_axis + 1)
    mesh = jnp.stack(jnp.meshgrid(*([axis] * d), indexing="ij"), axis=-1).reshape(-1, d)
    return mesh[:n]


def init(key, width, d):
    sizes = [2 * FREQS * d, width, width, width, 1]
    params = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        key, k1 = jax.random.split(key)
        params.append((jax.random.normal(k1, (a, b)) / math.sqrt(a), jnp.zeros(b)))
    return params


def embed(x):
    k = jnp.arange(FREQS)
    w = (2.0**k) * math.pi / 2.0
    amp = SCALE * 2.0 ** (-ALPHA * k)
    z = x[:, None, :] * w[None, :, None]  # n × L × d
    s = (amp[None, :, None] * jnp.sin(z)).reshape(x.shape[0], -1)
    c = (amp[None, :, None] * jnp.cos(z)).reshape(x.shape[0], -1)
    return jnp.concatenate([s, c], axis=1)


def u(params, x):
    h = embed(x)
    for w, b in params[:-1]:
        h = jax.nn.silu(h @ w + b)
    w, b = params[-1]
    return (h @ w + b)[:, 0] * jnp.prod(1.0 - x * x, axis=1)


def median_ms(f, *args):
    jax.block_until_ready(f(*args))
    jax.block_until_ready(f(*args))
    times = []
    for _ in range(30):
        t = time.perf_counter()
        jax.block_until_ready(f(*args))
        times.append(time.perf_counter() - t)
    times.sort()
    return 1e3 * times[len(times) // 2]


def main():
    x = grid(N_POINTS, 3)
    for width in (56, 180, 560):
        params = init(jax.random.PRNGKey(0), width, 3)
        flat, unravel = jax.flatten_util.ravel_pytree(params)
        p = flat.size
        v = jnp.full(p, 1e-3)

        def f(theta):
            return u(unravel(theta), x)

        @jax.jit
        def reference(theta, v):
            def half_mean_sq(v):
                return 0.5 * jnp.mean(jax.jvp(f, (theta,), (v,))[1] ** 2)

            return jax.grad(half_mean_sq)(v)

        _, f_jvp = jax.linearize(f, flat)
        f_vjp = jax.linear_transpose(f_jvp, flat)

        @jax.jit
        def linearized(v):
            return f_vjp(f_jvp(v) / N_POINTS)[0]

        a = reference(flat, v)
        b = linearized(v)
        assert jnp.allclose(a, b, rtol=1e-10, atol=1e-14), "the two products disagree"
        print(
            json.dumps(
                {
                    "width": width,
                    "params": int(p),
                    "reference_ms": median_ms(reference, flat, v),
                    "linearized_ms": median_ms(linearized, v),
                    "jax": jax.__version__,
                    "devices": str(jax.devices()),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    import jax.flatten_util  # noqa: F401

    main()

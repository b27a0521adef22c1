"""JAX peer of the heat 1D `training_step` criterion bench (prdp-train/benches/step.rs).

The same whole update step, f32, batch 25: the MLP 30→64→64→64→30 (ReLU) maps the state u⁰
to u¹; the physics P_K solves (I − νΔt·L) u² = u¹ on 30 interior points (Dirichlet, Δx = 1/31,
νΔt = 10⁻³) with K = 25 Jacobi iterations from zero; the loss is the MSE of u² against the
target; the gradient flows back through P_K implicitly (the adjoint system, symmetric here,
solved with the same K = 25 Jacobi iterations) and through the network; then one Adam step with
an exponentially decaying learning rate. The step is one `jax.jit`-compiled function with its
buffers donated, as a JAX user would write it.

prdp stops a sample's solve once its relative residual is below 10⁻⁵ (at most K = 25); this
peer always runs 25 iterations, i.e. at least prdp's work.

Run (CPU, all cores):  pip install "jax[cpu]";  python heat1d_step_jax.py
It prints one JSON line: the median of 5 rounds of 2000 timed steps after warm-up.
"""

import json
import time

import jax
import jax.numpy as jnp

N, BATCH, K, WIDTH = 30, 25, 25, 64
NU_DT, DX = 1e-3, 1.0 / 31.0
W = NU_DT / DX**2
DIAG, OFF = 1.0 + 2.0 * W, -W


def apply(u):
    """(I − νΔt·L) u for a batch [B, N], homogeneous Dirichlet."""
    padded = jnp.pad(u, ((0, 0), (1, 1)))
    return DIAG * u + OFF * (padded[:, 2:] + padded[:, :-2])


def jacobi(b):
    """K Jacobi sweeps u ← u + D⁻¹(b − A u) from u = 0."""
    return jax.lax.fori_loop(0, K, lambda _, u: u + (b - apply(u)) / DIAG, jnp.zeros_like(b))


@jax.custom_vjp
def physics(b):
    return jacobi(b)


def physics_fwd(b):
    return jacobi(b), None


def physics_bwd(_, u_bar):
    # Implicit: solve Aᵀλ = ū (A is symmetric) with the same K iterations.
    return (jacobi(u_bar),)


physics.defvjp(physics_fwd, physics_bwd)


def init(key):
    sizes = [N, WIDTH, WIDTH, WIDTH, N]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        key, k = jax.random.split(key)
        bound = (6.0 / fan_in) ** 0.5
        params.append(
            (
                jax.random.uniform(k, (fan_in, fan_out), jnp.float32, -bound, bound),
                jnp.zeros((fan_out,), jnp.float32),
            )
        )
    return params


def mlp(params, x):
    for i, (w, b) in enumerate(params):
        x = x @ w + b
        if i + 1 < len(params):
            x = jax.nn.relu(x)
    return x


def loss_fn(params, u0, target):
    u2 = physics(mlp(params, u0))
    return jnp.mean((u2 - target) ** 2)


B1, B2, EPS = 0.9, 0.999, 1e-8


def step(params, m, v, t, u0, target):
    loss, grads = jax.value_and_grad(loss_fn)(params, u0, target)
    t = t + 1
    lr = 1e-3 * 0.94 ** (t / 400.0)
    bc1, bc2 = 1.0 - B1**t, 1.0 - B2**t
    m = jax.tree.map(lambda m, g: B1 * m + (1.0 - B1) * g, m, grads)
    v = jax.tree.map(lambda v, g: B2 * v + (1.0 - B2) * g * g, v, grads)
    params = jax.tree.map(
        lambda p, m, v: p - lr * (m / bc1) / (jnp.sqrt(v / bc2) + EPS), params, m, v
    )
    return params, m, v, t, loss


def main():
    key = jax.random.PRNGKey(0)
    params = init(key)
    m = jax.tree.map(jnp.zeros_like, params)
    v = jax.tree.map(jnp.zeros_like, params)
    t = jnp.zeros((), jnp.float32)
    k1, k2 = jax.random.split(jax.random.PRNGKey(1))
    u0 = jax.random.normal(k1, (BATCH, N), jnp.float32)
    target = jax.random.normal(k2, (BATCH, N), jnp.float32)
    f = jax.jit(step, donate_argnums=(0, 1, 2, 3))
    for _ in range(200):
        params, m, v, t, loss = f(params, m, v, t, u0, target)
    loss.block_until_ready()
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(2000):
            params, m, v, t, loss = f(params, m, v, t, u0, target)
        loss.block_until_ready()
        rounds.append((time.perf_counter() - start) / 2000)
    rounds.sort()
    print(
        json.dumps(
            {
                "bench": "heat1d_whole_step",
                "jax": jax.__version__,
                "median_us": rounds[2] * 1e6,
                "rounds_us": [r * 1e6 for r in rounds],
                "params": sum(w.size + b.size for w, b in params),
            }
        )
    )


if __name__ == "__main__":
    main()

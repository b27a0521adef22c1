"""JAX peer of `forward/Jacobi/30x30/25` (prdp-solvers/benches/bench_main.rs).

25 right-hand sides on the 30×30 periodic grid, the operator I − νΔt·L₂ (ν = 0.001, Δt = 1,
h = 1/30), K = 10 Jacobi sweeps from zero, f32, one `jax.jit` function over the batch.

Run (CPU, all cores):  pip install "jax[cpu]";  python jacobi_batch_jax.py
It prints one JSON line: the median of 5 rounds of 2000 timed calls after warm-up.
"""

import json
import time

import jax
import jax.numpy as jnp

N, BATCH, K = 30, 25, 10
W = 0.001 * N * N
DIAG = 1.0 + 4.0 * W


def apply(u):
    lap = (
        jnp.roll(u, 1, 1) + jnp.roll(u, -1, 1) + jnp.roll(u, 1, 2) + jnp.roll(u, -1, 2)
    )
    return DIAG * u - W * lap


@jax.jit
def solve(b):
    return jax.lax.fori_loop(0, K, lambda _, u: u + (b - apply(u)) / DIAG, jnp.zeros_like(b))


def main():
    b = jnp.sin(0.618 * jnp.arange(BATCH * N * N, dtype=jnp.float32)).reshape(BATCH, N, N)
    for _ in range(200):
        x = solve(b)
    x.block_until_ready()
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(2000):
            x = solve(b)
        x.block_until_ready()
        rounds.append((time.perf_counter() - start) / 2000)
    rounds.sort()
    print(json.dumps({"bench": "jacobi_30x30_batch25_k10", "jax": jax.__version__,
                      "median_us": rounds[2] * 1e6, "rounds_us": [r * 1e6 for r in rounds]}))


if __name__ == "__main__":
    main()

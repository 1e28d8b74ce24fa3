"""The MSE loss surface of a small linear regression, and gradient descent's path on it."""

import numpy as np
from matplotlib.figure import Figure


def descent_path(X, y, learning_rate, steps):
    """The parameters beta after each of `steps` gradient-descent updates from (0, 0)."""
    beta, path = np.zeros(2), [np.zeros(2)]
    for _ in range(steps):
        beta = beta - learning_rate * 2.0 / len(y) * X.T @ (X @ beta - y)
        path.append(beta)
    return np.array(path)


def make_figure() -> Figure:
    """Contours of L(beta_0, beta_1) with descent paths at 0.9x and 1.1x the stable rate N / lambda_max(X.T X)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0.0, 3.0, size=30)
    y = 1.0 + 2.0 * x + rng.normal(0.0, 0.5, size=30)
    X = np.column_stack([np.ones_like(x), x])
    stable = len(y) / np.linalg.eigvalsh(X.T @ X)[-1]
    b0, b1 = np.meshgrid(np.linspace(-3.0, 5.0, 200), np.linspace(-1.0, 5.0, 200))
    residuals = b0[..., None] + b1[..., None] * x - y
    loss = np.mean(residuals**2, axis=-1)

    figure = Figure(figsize=(10, 4.5), layout="constrained")
    for axes, factor, steps in zip(figure.subplots(1, 2), (0.9, 1.1), (40, 8)):
        axes.contour(b0, b1, np.log10(loss), levels=20, cmap="viridis")
        path = descent_path(X, y, factor * stable, steps)
        axes.plot(path[:, 0], path[:, 1], "o-", color="crimson", markersize=3)
        axes.set(xlim=(-3, 5), ylim=(-1, 5), xlabel="beta_0 (intercept)", ylabel="beta_1 (slope)")
        verdict = "converges" if factor < 1 else "diverges"
        axes.set_title(f"alpha = {factor} x the stable rate: {verdict}")
    figure.suptitle("Gradient descent on the MSE loss surface of y = beta_0 + beta_1 x")
    return figure

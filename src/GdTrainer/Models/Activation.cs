namespace GdTrainer.Models;

/// <summary>The nonlinearity between the layers of an <see cref="Mlp"/>.</summary>
public enum Activation
{
    /// <summary><see cref="Models.Relu"/>: <c>max(x, 0)</c> (PyTorch's <c>nn.ReLU</c>).</summary>
    Relu,

    /// <summary><see cref="Models.Tanh"/>: <c>tanh(x)</c> (PyTorch's <c>nn.Tanh</c>).</summary>
    Tanh,

    /// <summary><see cref="Models.Sigmoid"/>: <c>1 / (1 + exp(-x))</c> (PyTorch's <c>nn.Sigmoid</c>).</summary>
    Sigmoid,

    /// <summary><see cref="Models.LeakyRelu"/> with the default slope 0.01 (PyTorch's <c>nn.LeakyReLU</c>).</summary>
    LeakyRelu,

    /// <summary><see cref="Models.Gelu"/>, the exact (erf) form (PyTorch's <c>nn.GELU</c>).</summary>
    Gelu,

    /// <summary><see cref="Models.Silu"/>: <c>x * sigmoid(x)</c> (PyTorch's <c>nn.SiLU</c>, also called swish).</summary>
    Silu,
}

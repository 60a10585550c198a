using System.Buffers;
using System.Numerics;

namespace GdTrainer.Autograd;

/// <summary>
/// One recorded operation of the autograd graph (PyTorch's <c>grad_fn</c>): it keeps the inputs the
/// backward pass needs, the versions they had when they were saved, and, while a backward pass runs,
/// the gradient flowing into its output. Each operation derives from it with its forward and its
/// backward side by side.
/// </summary>
internal abstract class Node<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _first;
    private Tensor<T>? _second;
    private Tensor<T>? _third;
    private Tensor<T>? _output;
    private readonly int _firstVersion;
    private readonly int _secondVersion;
    private readonly int _thirdVersion;
    private int _outputVersion;

    protected Node(Tensor<T> first, Tensor<T>? second = null, Tensor<T>? third = null)
    {
        _first = first;
        _firstVersion = first.Version;
        _second = second;
        _secondVersion = second?.Version ?? 0;
        _third = third;
        _thirdVersion = third?.Version ?? 0;
    }

    /// <summary>The operation's name as error messages show it, e.g. <c>Multiply</c>.</summary>
    internal abstract string Name { get; }

    /// <summary>Pooled buffer receiving the gradient of this node's output during backward; null otherwise.</summary>
    internal T[]? GradientBuffer { get; set; }

    /// <summary>Marks the backward pass that last visited this node (topological sort).</summary>
    internal int VisitStamp { get; set; }

    /// <summary>True once a backward pass without <c>retainGraph</c> has freed what this node saved.</summary>
    internal bool IsReleased { get; private set; }

    internal Tensor<T>? FirstInput => _first;

    internal Tensor<T>? SecondInput => _second;

    internal Tensor<T>? ThirdInput => _third;

    /// <summary>Called once by the tensor this node produced, so that ops can save their own output.</summary>
    internal void AttachOutput(Tensor<T> output)
    {
        _output = output;
        _outputVersion = output.Version;
        OutputDims = output.Dims;
    }

    /// <summary>The output's shape as rows x columns; the layout of the gradient passed to <see cref="Backward"/>.</summary>
    internal Dims2 OutputDims { get; private set; }

    internal int OutputLength => OutputDims.Length;

    /// <summary>
    /// Adds this node's contribution to its inputs' gradients, given the gradient of its output
    /// (in the output's shape). Implementations call <see cref="Accumulate"/> for each input.
    /// </summary>
    internal abstract void Backward(ReadOnlySpan<T> outputGradient);

    internal void Release()
    {
        IsReleased = true;
        _first = null;
        _second = null;
        _third = null;
        _output = null;
        OnReleased();
    }

    /// <summary>Frees what an operation saved beyond its inputs (e.g. a pooled buffer); called once, when the graph is freed.</summary>
    protected virtual void OnReleased()
    {
    }

    /// <summary>The first input's values, checked to be unchanged since the forward pass.</summary>
    protected Tensor<T> SavedFirst => CheckVersion(_first!, _firstVersion, "input 0");

    /// <summary>The second input's values, checked to be unchanged since the forward pass.</summary>
    protected Tensor<T> SavedSecond => CheckVersion(_second!, _secondVersion, "input 1");

    /// <summary>The third input's values, checked to be unchanged since the forward pass.</summary>
    protected Tensor<T> SavedThird => CheckVersion(_third!, _thirdVersion, "input 2");

    /// <summary>
    /// <paramref name="input"/> (one of this node's inputs), checked to be unchanged since the forward
    /// pass: for backward code shared between operations that does not know the input's position.
    /// </summary>
    internal Tensor<T> CheckedValues(Tensor<T> input) =>
        ReferenceEquals(input, _first) ? SavedFirst
        : ReferenceEquals(input, _second) ? SavedSecond
        : ReferenceEquals(input, _third) ? SavedThird
        : throw new ArgumentException($"{input.Describe()} is not an input of {Name}.", nameof(input));

    /// <summary>The output's values, checked to be unchanged since the forward pass.</summary>
    protected Tensor<T> SavedOutput => CheckVersion(_output!, _outputVersion, "its output");

    /// <summary>Adds <paramref name="gradient"/> (laid out as <paramref name="gradientDims"/>) into the gradient of <paramref name="input"/>.</summary>
    internal static void Accumulate(Tensor<T>? input, ReadOnlySpan<T> gradient, Dims2 gradientDims)
    {
        if (input is null || !input.RequiresGrad)
        {
            return;
        }

        Broadcasting<T>.AccumulateTo(input.GradientTarget(), input.Dims, gradient, gradientDims);
    }

    /// <summary>
    /// Adds <c>kernel(outputGradient, other)</c>, computed in the output's shape, into the gradient of
    /// <paramref name="input"/>: the shared step of the product and quotient rules.
    /// </summary>
    protected void AccumulateCombined<TKernel>(Tensor<T>? input, ReadOnlySpan<T> outputGradient, Tensor<T> other)
        where TKernel : IBinaryKernel<T>
    {
        if (input is null || !input.RequiresGrad)
        {
            return;
        }

        T[] scratch = RentScratch(OutputLength);
        Span<T> combined = scratch.AsSpan(0, OutputLength);
        Broadcasting<T>.Apply<TKernel>(outputGradient, OutputDims, other.Data, other.Dims, combined, OutputDims);
        Accumulate(input, combined, OutputDims);
        ReturnScratch(scratch);
    }

    /// <summary>Whether an operation on these inputs must be recorded: grad mode is on and an input requires grad.</summary>
    internal static bool ShouldRecord(Tensor<T> first, Tensor<T>? second = null, Tensor<T>? third = null) =>
        (first.RequiresGrad || (second?.RequiresGrad ?? false) || (third?.RequiresGrad ?? false)) && Autograd.IsGradEnabled;

    /// <summary>Rents a scratch buffer of at least <paramref name="length"/> elements; return it with <see cref="ReturnScratch"/>.</summary>
    internal static T[] RentScratch(int length) => ArrayPool<T>.Shared.Rent(Math.Max(length, 1));

    internal static void ReturnScratch(T[] buffer) => ArrayPool<T>.Shared.Return(buffer);

    private Tensor<T> CheckVersion(Tensor<T> saved, int savedVersion, string role)
    {
        if (saved.Version != savedVersion)
        {
            throw new InvalidOperationException(
                $"One of the tensors needed for gradient computation has been modified by an in-place operation: " +
                $"{role} of {Name}, {saved.Describe()}, is at version {saved.Version} but was saved at version {savedVersion}. " +
                "Change it only after Backward(), or work on a copy (tensor.Detach() shares memory; use a new tensor).");
        }

        return saved;
    }
}

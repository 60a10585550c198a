namespace GdTrainer.Tests.Optimizers;

using GdTrainer.Autograd;
using GdTrainer.Optimizers;

public sealed class OptimizerStateTests
{
    public static TheoryData<string> OptimizerNames => new() { "sgd", "sgd-nesterov", "adam", "adam-amsgrad", "adamw", "rmsprop", "rmsprop-centered-momentum", "adagrad" };

    [Fact]
    public void EachParameterHasItsOwnStateAndStepCount()
    {
        // q joins the loss only from step 3: it has no gradient before, so PyTorch neither steps it nor creates its
        // state; its first step then uses t = 1 (full bias correction) while p is at t = 3, and neither shares buffers.
        var problem = new QuadraticProblem();
        var other = new QuadraticProblem(shift: 0.5);
        var p = problem.NewParameter();
        var q = other.NewParameter();
        var optimizer = new AdamOptimizer([p, q], learningRate: 0.1f);
        double[] pTheta = (double[])problem.Start.Clone(), qTheta = (double[])other.Start.Clone();
        var pReference = ReferenceOptimizers.Adam(F(0.1), F(0.9), F(0.999), F(1e-8), 0, amsgrad: false);
        var qReference = ReferenceOptimizers.Adam(F(0.1), F(0.9), F(0.999), F(1e-8), 0, amsgrad: false);

        for (int step = 1; step <= 6; step++)
        {
            optimizer.ZeroGrad();
            problem.Backward(p);
            pReference(pTheta, problem.Gradient(pTheta));
            if (step >= 3)
            {
                other.Backward(q);
                qReference(qTheta, other.Gradient(qTheta));
            }

            optimizer.Step();
        }

        for (int i = 0; i < QuadraticProblem.Length; i++)
        {
            Assert.Equal(pTheta[i], p.Data[i], 2e-5);
            Assert.Equal(qTheta[i], q.Data[i], 2e-5);
        }
    }

    [Theory]
    [MemberData(nameof(OptimizerNames))]
    public void StepsAllocateNothingAfterTheFirst(string name)
    {
        var problem = new QuadraticProblem();
        var p = problem.NewParameter();
        var w = Tensor.From<float>(new float[300], [20, 15], requiresGrad: true);
        Optimizer optimizer = Create(name, [p, w]);
        problem.Backward(p);
        (w * w).Sum().Backward();
        optimizer.Step(); // Creates the state.

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            optimizer.Step();
            optimizer.ZeroGrad();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [MemberData(nameof(OptimizerNames))]
    public void AStepIsAnInPlaceChangeThatAutogradDetects(string name)
    {
        var p = Tensor.From<float>([1f, 2f], requiresGrad: true);
        Optimizer optimizer = Create(name, [p]);
        p.Sum().Backward();
        Tensor<float> y = (p * p).Sum(); // Saves p for its backward.
        optimizer.Step();
        Assert.Throws<InvalidOperationException>(() => y.Backward());
    }

    private static Optimizer Create(string name, Tensor<float>[] parameters) => name switch
    {
        "sgd" => new SgdOptimizer(parameters, 0.01f, weightDecay: 0.1f),
        "sgd-nesterov" => new SgdOptimizer(parameters, 0.01f, momentum: 0.9f, nesterov: true),
        "adam" => new AdamOptimizer(parameters, weightDecay: 0.1f),
        "adam-amsgrad" => new AdamOptimizer(parameters, amsgrad: true),
        "adamw" => new AdamWOptimizer(parameters),
        "rmsprop" => new RmsPropOptimizer(parameters),
        "rmsprop-centered-momentum" => new RmsPropOptimizer(parameters, momentum: 0.9f, centered: true),
        "adagrad" => new AdagradOptimizer(parameters, learningRateDecay: 0.1f),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static double F(double x) => (float)x;
}

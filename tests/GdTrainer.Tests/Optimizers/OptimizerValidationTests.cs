namespace GdTrainer.Tests.Optimizers;

using GdTrainer.Autograd;
using GdTrainer.Optimizers;

public sealed class OptimizerValidationTests
{
    private static readonly Tensor<float>[] s_parameters = [Tensor.From<float>([1f], requiresGrad: true)];

    public static TheoryData<string, string> InvalidSettings => new()
    {
        { "adam beta1 = -0.1", "beta1" },
        { "adam beta1 = 1", "beta1" },
        { "adam beta2 = 1.5", "beta2" },
        { "adam beta2 = NaN", "beta2" },
        { "adam eps = 0", "epsilon" },
        { "adam eps = -1e-8", "epsilon" },
        { "adam weightDecay = -1", "weightDecay" },
        { "adam lr = -1", "LearningRate" },
        { "adamw beta1 = -0.1", "beta1" },
        { "adamw eps = 0", "epsilon" },
        { "adamw weightDecay = inf", "weightDecay" },
        { "rmsprop alpha = -0.5", "alpha" },
        { "rmsprop alpha = 1", "alpha" },
        { "rmsprop eps = 0", "epsilon" },
        { "rmsprop momentum = -1", "momentum" },
        { "adagrad lrDecay = -1", "learningRateDecay" },
        { "adagrad initialAccumulatorValue = -1", "initialAccumulatorValue" },
        { "adagrad eps = 0", "epsilon" },
        { "sgd lr = NaN", "LearningRate" },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public void OutOfRangeSettingsAreRejectedByName(string setting, string parameterName)
    {
        Func<Optimizer> create = setting switch
        {
            "adam beta1 = -0.1" => () => new AdamOptimizer(s_parameters, beta1: -0.1f),
            "adam beta1 = 1" => () => new AdamOptimizer(s_parameters, beta1: 1f),
            "adam beta2 = 1.5" => () => new AdamOptimizer(s_parameters, beta2: 1.5f),
            "adam beta2 = NaN" => () => new AdamOptimizer(s_parameters, beta2: float.NaN),
            "adam eps = 0" => () => new AdamOptimizer(s_parameters, epsilon: 0f),
            "adam eps = -1e-8" => () => new AdamOptimizer(s_parameters, epsilon: -1e-8f),
            "adam weightDecay = -1" => () => new AdamOptimizer(s_parameters, weightDecay: -1f),
            "adam lr = -1" => () => new AdamOptimizer(s_parameters, learningRate: -1f),
            "adamw beta1 = -0.1" => () => new AdamWOptimizer(s_parameters, beta1: -0.1f),
            "adamw eps = 0" => () => new AdamWOptimizer(s_parameters, epsilon: 0f),
            "adamw weightDecay = inf" => () => new AdamWOptimizer(s_parameters, weightDecay: float.PositiveInfinity),
            "rmsprop alpha = -0.5" => () => new RmsPropOptimizer(s_parameters, alpha: -0.5f),
            "rmsprop alpha = 1" => () => new RmsPropOptimizer(s_parameters, alpha: 1f),
            "rmsprop eps = 0" => () => new RmsPropOptimizer(s_parameters, epsilon: 0f),
            "rmsprop momentum = -1" => () => new RmsPropOptimizer(s_parameters, momentum: -1f),
            "adagrad lrDecay = -1" => () => new AdagradOptimizer(s_parameters, learningRateDecay: -1f),
            "adagrad initialAccumulatorValue = -1" => () => new AdagradOptimizer(s_parameters, initialAccumulatorValue: -1f),
            "adagrad eps = 0" => () => new AdagradOptimizer(s_parameters, epsilon: 0f),
            "sgd lr = NaN" => () => new SgdOptimizer(s_parameters, float.NaN),
            _ => throw new ArgumentOutOfRangeException(nameof(setting)),
        };

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => create());
        Assert.Equal(parameterName, error.ParamName);
        Assert.Contains("must be", error.Message); // The message states the valid range.
    }
}

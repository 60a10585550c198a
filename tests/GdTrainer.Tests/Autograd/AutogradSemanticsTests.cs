namespace GdTrainer.Tests.Autograd;

using GdTrainer.Autograd;
using static GdTrainer.Tests.Autograd.TestTensors;

/// <summary>
/// PyTorch's autograd semantics: gradient accumulation and zeroing, detach, no-grad scopes,
/// freeing the graph after backward, version-counter checks and in-place rules, and backward with
/// an explicit output gradient.
/// </summary>
public sealed class AutogradSemanticsTests
{
    [Fact]
    public void GradientsAccumulateOverTwoBackwardCalls()
    {
        var x = Tensor.From<double>([1.5, -2.0, 0.25], requiresGrad: true);

        (x * x).Sum().Backward();
        double[] single = x.Grad!.ToArray();
        (x * x).Sum().Backward();

        AssertClose([3.0, -4.0, 0.5], single, 0);
        AssertClose([6.0, -8.0, 1.0], x.Grad.Data, 0);
    }

    [Fact]
    public void ZeroGradClearsValuesAndKeepsTheSameGradObject()
    {
        var x = Tensor.From<double>([1.0, 2.0], requiresGrad: true);
        x.ZeroGrad(); // No gradient yet: nothing to clear, nothing created.
        Assert.Null(x.Grad);

        (x * 3.0).Sum().Backward();
        Tensor<double> grad = x.Grad!;
        x.ZeroGrad();

        Assert.Same(grad, x.Grad);
        AssertClose([0.0, 0.0], grad.Data, 0);

        (x * x).Sum().Backward();
        Assert.Same(grad, x.Grad);
        AssertClose([2.0, 4.0], grad.Data, 0);
    }

    [Fact]
    public void SettingGradToNullStartsAFreshGradient()
    {
        var x = Tensor.From<double>([1.0, 2.0], requiresGrad: true);
        (x * 3.0).Sum().Backward();
        Tensor<double> first = x.Grad!;

        x.Grad = null;
        (x * x).Sum().Backward();

        Assert.NotNull(x.Grad);
        Assert.NotSame(first, x.Grad);
        AssertClose([2.0, 4.0], x.Grad.Data, 0);
        AssertClose([3.0, 3.0], first.Data, 0);
    }

    [Fact]
    public void OnlyLeavesThatRequireGradReceiveGrad()
    {
        var x = Tensor.From<double>([1.0, 2.0], requiresGrad: true);
        var constant = Tensor.From<double>([5.0, 7.0]);
        Tensor<double> hidden = x * constant;

        hidden.Exp().Sum().Backward();

        Assert.Null(constant.Grad);
        Assert.Null(hidden.Grad);
        Assert.False(hidden.IsLeaf);
        AssertClose([5.0 * Math.Exp(5.0), 7.0 * Math.Exp(14.0)], x.Grad!.Data, 1e-14);
    }

    [Fact]
    public void DetachSharesMemoryInBothDirections()
    {
        var x = Tensor.From<double>([1.0, 2.0, 3.0], requiresGrad: true);
        Tensor<double> detached = x.Detach();

        detached.Data[0] = 10.0;
        x.Data[2] = 30.0;

        AssertClose([10.0, 2.0, 30.0], x.Data, 0);
        AssertClose([10.0, 2.0, 30.0], detached.Data, 0);
    }

    [Fact]
    public void DetachedTensorIsALeafThatDoesNotRequireGrad()
    {
        var x = Tensor.From<double>([1.0, 2.0], requiresGrad: true);
        Tensor<double> computed = x.Exp();

        Tensor<double> fromLeaf = x.Detach();
        Tensor<double> fromComputed = computed.Detach();

        Assert.False(fromLeaf.RequiresGrad);
        Assert.True(fromLeaf.IsLeaf);
        Assert.False(fromComputed.RequiresGrad);
        Assert.True(fromComputed.IsLeaf);
        Assert.Null(fromComputed.GradFunctionName);
        Assert.False((fromComputed * 2.0).RequiresGrad);
    }

    [Fact]
    public void NoGradientFlowsThroughADetachedTensor()
    {
        var x = Tensor.From<double>([1.5, -2.0, 3.0], requiresGrad: true);

        // d/dx sum(x * c) with c = x held constant is c = x, not 2x.
        (x * x.Detach()).Sum().Backward();

        AssertClose([1.5, -2.0, 3.0], x.Grad!.Data, 0);
    }

    [Fact]
    public void NoGradRecordsNoGraph()
    {
        var x = Tensor.From<double>([1.0, 2.0], requiresGrad: true);
        Tensor<double> inside;
        using (Autograd.NoGrad())
        {
            Assert.False(Autograd.IsGradEnabled);
            inside = (x * x).Exp().Sum();
        }

        Assert.True(Autograd.IsGradEnabled);
        Assert.False(inside.RequiresGrad);
        Assert.True(inside.IsLeaf);
        Assert.Null(inside.GradFunctionName);
        AssertClose([Math.Exp(1.0) + Math.Exp(4.0)], inside.Data, 1e-14);
        Assert.Throws<InvalidOperationException>(() => inside.Backward());

        Tensor<double> outside = (x * x).Sum();
        Assert.True(outside.RequiresGrad);
        Assert.False(outside.IsLeaf);
        Assert.Equal("Sum", outside.GradFunctionName);
    }

    [Fact]
    public void NoGradScopesNestAndRestoreThePreviousMode()
    {
        Assert.True(Autograd.IsGradEnabled);
        using (Autograd.NoGrad())
        {
            using (Autograd.NoGrad())
            {
                Assert.False(Autograd.IsGradEnabled);
            }

            Assert.False(Autograd.IsGradEnabled);
        }

        Assert.True(Autograd.IsGradEnabled);
    }

    [Fact]
    public void DisposingAScopeTwiceDoesNotCloseAnOuterScope()
    {
        using (Autograd.NoGrad())
        {
            NoGradScope inner = Autograd.NoGrad();
            inner.Dispose();
            inner.Dispose();
            Assert.False(Autograd.IsGradEnabled);
        }

        Assert.True(Autograd.IsGradEnabled);
    }

    [Fact]
    public void DisposingACopyOfAScopeAfterTheScopeDoesNotCloseAnOuterScope()
    {
        using (Autograd.NoGrad())
        {
            NoGradScope inner = Autograd.NoGrad();
            NoGradScope copy = inner;
            inner.Dispose();
            copy.Dispose();
            Assert.False(Autograd.IsGradEnabled);
        }

        Assert.True(Autograd.IsGradEnabled);
    }

    [Fact]
    public void DisposingAnOuterScopeBeforeAnInnerOneReenablesGradForGood()
    {
        NoGradScope outer = Autograd.NoGrad();
        NoGradScope inner = Autograd.NoGrad();
        outer.Dispose();
        Assert.True(Autograd.IsGradEnabled);
        inner.Dispose();
        Assert.True(Autograd.IsGradEnabled);
    }

    [Fact]
    public void NoGradOnThisThreadDoesNotAffectAnotherThread()
    {
        var x = Tensor.From<double>([1.0, 2.0], requiresGrad: true);
        bool otherEnabled = false;
        bool otherRecorded = false;
        using (Autograd.NoGrad())
        {
            RunOnNewThread(() =>
            {
                otherEnabled = Autograd.IsGradEnabled;
                otherRecorded = (x * 2.0).RequiresGrad;
            });
            Assert.False((x * 2.0).RequiresGrad);
        }

        Assert.True(otherEnabled);
        Assert.True(otherRecorded);
    }

    [Fact]
    public void NoGradOnAnotherThreadDoesNotAffectThisThread()
    {
        var x = Tensor.From<double>([1.0, 2.0], requiresGrad: true);
        using var scopeOpen = new ManualResetEventSlim();
        using var checkedHere = new ManualResetEventSlim();
        bool otherDisabled = false;
        var other = new Thread(() =>
        {
            using (Autograd.NoGrad())
            {
                otherDisabled = !Autograd.IsGradEnabled;
                scopeOpen.Set();
                checkedHere.Wait(TimeSpan.FromSeconds(30));
            }
        });
        other.Start();
        Assert.True(scopeOpen.Wait(TimeSpan.FromSeconds(30)));

        bool enabledHere = Autograd.IsGradEnabled;
        bool recordedHere = (x * 2.0).RequiresGrad;
        checkedHere.Set();
        other.Join();

        Assert.True(otherDisabled);
        Assert.True(enabledHere);
        Assert.True(recordedHere);
    }

    [Fact]
    public void DisposingAScopeOnAnotherThreadThrowsAndLeavesItClosableOnItsOwnThread()
    {
        bool disabledAfterFailedDispose = false;
        bool enabledAfterDispose = false;
        Exception? crossThread = null;
        RunOnNewThread(() =>
        {
            NoGradScope scope = Autograd.NoGrad();
            RunOnNewThread(() => crossThread = Record.Exception(() => scope.Dispose()));
            disabledAfterFailedDispose = !Autograd.IsGradEnabled;
            scope.Dispose();
            enabledAfterDispose = Autograd.IsGradEnabled;
        });

        InvalidOperationException error = Assert.IsType<InvalidOperationException>(crossThread);
        Assert.Contains("different thread", error.Message, StringComparison.Ordinal);
        Assert.True(disabledAfterFailedDispose);
        Assert.True(enabledAfterDispose);
    }

    [Fact]
    public void SecondBackwardThroughAFreedGraphThrows()
    {
        var x = Tensor.From<double>([1.0, 2.0], requiresGrad: true);
        Tensor<double> loss = (x * x).Sum();
        loss.Backward();

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => loss.Backward());

        Assert.Contains("second time", error.Message, StringComparison.Ordinal);
        Assert.Contains("retainGraph", error.Message, StringComparison.Ordinal);
        AssertClose([2.0, 4.0], x.Grad!.Data, 0); // The failed call added nothing.
    }

    [Fact]
    public void BackwardThroughAGraphPartlyFreedByAnotherBackwardThrows()
    {
        var x = Tensor.From<double>([1.0, 2.0], requiresGrad: true);
        Tensor<double> shared = x.Exp();
        shared.Sum().Backward();

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => (shared * 2.0).Sum().Backward());
        Assert.Contains("Exp", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RetainGraphAllowsASecondBackwardThatAccumulates()
    {
        var x = Tensor.From<double>([1.0, -2.0], requiresGrad: true);
        Tensor<double> loss = (x * x * x).Sum();

        loss.Backward(null, retainGraph: true);
        AssertClose([3.0, 12.0], x.Grad!.Data, 0);
        loss.Backward();
        AssertClose([6.0, 24.0], x.Grad.Data, 0);

        Assert.Throws<InvalidOperationException>(() => loss.Backward());
    }

    [Fact]
    public void RetainedGraphCanBeBackwardedAgainFromAnotherThread()
    {
        // As after an `await` that resumes on another thread: each backward pass runs on a fresh thread.
        var x = Tensor.From<double>([1.0, -2.0], requiresGrad: true);
        Tensor<double> loss = (x * x * x).Sum();

        RunOnNewThread(() => loss.Backward(null, retainGraph: true));
        RunOnNewThread(() => loss.Backward(null, retainGraph: true));
        AssertClose([6.0, 24.0], x.Grad!.Data, 0);

        loss.Backward();
        AssertClose([9.0, 36.0], x.Grad.Data, 0);
    }

    [Fact]
    public void BackwardInsideNoGradStillComputesGradients()
    {
        var x = Tensor.From<double>([1.0, -2.0], requiresGrad: true);
        Tensor<double> loss = (x * x).Sum();
        using (Autograd.NoGrad())
        {
            loss.Backward();
        }

        AssertClose([2.0, -4.0], x.Grad!.Data, 0);
    }

    [Fact]
    public void ModifyingASavedOutputInPlaceMakesBackwardThrowNamingTheOp()
    {
        var x = Tensor.From<double>([0.5, 1.0], requiresGrad: true);
        Tensor<double> y = x.Exp();
        Tensor<double> loss = y.Sum();
        using (Autograd.NoGrad())
        {
            y.MultiplyInPlace(2.0);
        }

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => loss.Backward());

        Assert.Contains("Exp", error.Message, StringComparison.Ordinal);
        Assert.Contains("in-place", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModifyingASavedInputInPlaceMakesBackwardThrowNamingTheOp()
    {
        var x = Tensor.From<double>([1.0, 2.0], requiresGrad: true);
        var w = Tensor.From<double>([3.0, 4.0], requiresGrad: true);
        Tensor<double> loss = (x * w).Sum();
        using (Autograd.NoGrad())
        {
            w.SubtractInPlace(Tensor.From<double>([1.0, 1.0]), 0.1);
        }

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => loss.Backward());

        Assert.Contains("Multiply", error.Message, StringComparison.Ordinal);
        Assert.Contains("version", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModifyingASavedMatMulOperandThroughAnIndexerMakesBackwardThrow()
    {
        var x = Tensor.From<double>(new double[,] { { 1, 2 }, { 3, 4 } }, requiresGrad: true);
        var w = Tensor.From<double>([1.0, -1.0]);
        Tensor<double> loss = x.MatMul(w).Sum();

        w[0] = 5.0; // w does not require grad, so this is allowed, but x's gradient needs the old w.

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("MatMul", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModifyingMemorySharedThroughDetachIsDetected()
    {
        var x = Tensor.From<double>([0.5, 1.0], requiresGrad: true);
        Tensor<double> y = x.Sigmoid();
        Tensor<double> loss = y.Sum();

        y.Detach().Fill(0.0);

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("Sigmoid", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModifyingAnInputThatNoOpSavedDoesNotBreakBackward()
    {
        var x = Tensor.From<double>([1.0, 2.0], requiresGrad: true);
        var w = Tensor.From<double>([3.0, 4.0], requiresGrad: true);
        Tensor<double> loss = (x + w).Sum();
        using (Autograd.NoGrad())
        {
            w.Fill(0.0);
        }

        loss.Backward(); // Add needs neither operand's value, as in PyTorch.

        AssertClose([1.0, 1.0], x.Grad!.Data, 0);
        AssertClose([1.0, 1.0], w.Grad!.Data, 0);
    }

    [Fact]
    public void InPlaceOnALeafThatRequiresGradOutsideNoGradThrows()
    {
        var w = Tensor.From<double>([1.0, 2.0], requiresGrad: true);
        var other = Tensor.From<double>([1.0, 1.0]);

        var errors = new[]
        {
            Assert.Throws<InvalidOperationException>(() => w.SubtractInPlace(other, 0.1)),
            Assert.Throws<InvalidOperationException>(() => w.AddInPlace(other, 0.1)),
            Assert.Throws<InvalidOperationException>(() => w.MultiplyInPlace(2.0)),
            Assert.Throws<InvalidOperationException>(() => w.Fill(0.0)),
            Assert.Throws<InvalidOperationException>(() => w.CopyFrom([5.0, 6.0])),
            Assert.Throws<InvalidOperationException>(() => w[0] = 5.0),
        };

        foreach (InvalidOperationException error in errors)
        {
            Assert.Contains("NoGrad", error.Message, StringComparison.Ordinal);
        }

        AssertClose([1.0, 2.0], w.Data, 0);
    }

    [Fact]
    public void InPlaceOnAComputedTensorOutsideNoGradThrows()
    {
        var x = Tensor.From<double>([1.0, 2.0], requiresGrad: true);
        Tensor<double> y = x * 2.0;
        Tensor<double> view = x.Reshape(2, 1);

        Assert.Throws<InvalidOperationException>(() => y.Fill(0.0));
        Assert.Throws<InvalidOperationException>(() => view.MultiplyInPlace(3.0));
        AssertClose([2.0, 4.0], y.Data, 0);
        AssertClose([1.0, 2.0], x.Data, 0);
    }

    [Fact]
    public void InPlaceUpdatesUnderNoGradAreAllowedAndComputeTheUpdate()
    {
        var w = Tensor.From<double>(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } }, requiresGrad: true);
        var g = Tensor.From<double>(new double[,] { { 1, 1, 2 }, { 2, 3, 3 } });
        var row = Tensor.From<double>([10.0, 20.0, 30.0]);
        var column = Tensor.From<double>([1.0, 2.0], [2, 1]);

        using (Autograd.NoGrad())
        {
            w.SubtractInPlace(g, 0.5);
            AssertClose([0.5, 1.5, 2.0, 3.0, 3.5, 4.5], w.Data, 0);
            w.AddInPlace(row, 0.1);
            AssertClose([1.5, 3.5, 5.0, 4.0, 5.5, 7.5], w.Data, 1e-15);
            w.SubtractInPlace(column, 1.0);
            AssertClose([0.5, 2.5, 4.0, 2.0, 3.5, 5.5], w.Data, 1e-15);
            w.MultiplyInPlace(2.0);
            AssertClose([1.0, 5.0, 8.0, 4.0, 7.0, 11.0], w.Data, 1e-15);
            w[1, 2] = -1.0;
            w[0] = -2.0;
            AssertClose([-2.0, 5.0, 8.0, 4.0, 7.0, -1.0], w.Data, 0);
            w.CopyFrom([6.0, 5.0, 4.0, 3.0, 2.0, 1.0]);
            AssertClose([6.0, 5.0, 4.0, 3.0, 2.0, 1.0], w.Data, 0);
            w.Fill(0.25);
            AssertClose([0.25, 0.25, 0.25, 0.25, 0.25, 0.25], w.Data, 0);
        }

        Assert.True(w.RequiresGrad);
        Assert.True(w.IsLeaf);
    }

    [Fact]
    public void InPlaceOnATensorThatDoesNotRequireGradIsAllowedWithGradOn()
    {
        var x = Tensor.From<double>([1.0, 2.0]);
        x.AddInPlace(Tensor.Scalar(1.0), 2.0);
        AssertClose([3.0, 4.0], x.Data, 0);
    }

    [Fact]
    public void ATrainingLoopStepStaysValidAfterTheUpdate()
    {
        // The seed's loop: forward, backward, update under NoGrad, zero, and again with the new values.
        var x = Tensor.From<double>([1.0, 2.0, 3.0]);
        var y = Tensor.From<double>([5.0, 8.0, 11.0]); // y = 3x + 2
        var w = Tensor.From<double>([0.0], requiresGrad: true);
        var b = Tensor.From<double>([0.0], requiresGrad: true);

        ((x * w + b - y).Pow(2).Mean()).Backward();
        // d/dw mean((wx + b - y)^2) = mean(2 (wx + b - y) x) = 2 * -(5 + 16 + 33) / 3 = -36; d/db = 2 * -(24) / 3 = -16.
        AssertClose([-36.0], w.Grad!.Data, 1e-14);
        AssertClose([-16.0], b.Grad!.Data, 1e-14);
        using (Autograd.NoGrad())
        {
            w.SubtractInPlace(w.Grad, 0.01);
            b.SubtractInPlace(b.Grad, 0.01);
        }

        w.ZeroGrad();
        b.ZeroGrad();
        ((x * w + b - y).Pow(2).Mean()).Backward();

        // Residuals with w = 0.36, b = 0.16: 0.52 - 5, 0.88 - 8, 1.24 - 11.
        double[] residual = [0.52 - 5, 0.88 - 8, 1.24 - 11];
        double dw = 2 * ((residual[0] * 1) + (residual[1] * 2) + (residual[2] * 3)) / 3;
        double db = 2 * (residual[0] + residual[1] + residual[2]) / 3;
        AssertClose([dw], w.Grad.Data, 1e-13);
        AssertClose([db], b.Grad.Data, 1e-13);
    }

    [Fact]
    public void BackwardWithAnExplicitGradientComputesTheVectorJacobianProduct()
    {
        var x = Tensor.From<double>(new double[,] { { 1, 2, 3 }, { -1, 0.5, 2 } }, requiresGrad: true);
        var w = Tensor.From<double>(new double[,] { { 0.5, -1 }, { 2, 1 }, { -0.5, 3 } }, requiresGrad: true);
        var v = Tensor.From<double>(new double[,] { { 1, -2 }, { 0.5, 3 } });

        x.MatMul(w).Backward(v);

        // dL/dx = v @ w^T and dL/dw = x^T @ v, by hand.
        double[] expectedX = new double[6];
        double[] expectedW = new double[6];
        for (int i = 0; i < 2; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                for (int c = 0; c < 2; c++)
                {
                    expectedX[(i * 3) + j] += v[i, c] * w[j, c];
                    expectedW[(j * 2) + c] += x[i, j] * v[i, c];
                }
            }
        }

        AssertClose(expectedX, x.Grad!.Data, 1e-15);
        AssertClose(expectedW, w.Grad!.Data, 1e-15);
    }

    [Fact]
    public void BackwardWithAnExplicitGradientThroughAnElementwiseChain()
    {
        var x = Tensor.From<double>([0.5, -1.0, 2.0], requiresGrad: true);
        var v = Tensor.From<double>([1.0, 2.0, -3.0]);

        (x * x).Exp().Backward(v);

        var expected = new double[3];
        for (int i = 0; i < 3; i++)
        {
            expected[i] = v[i] * 2 * x[i] * Math.Exp(x[i] * x[i]);
        }

        AssertClose(expected, x.Grad!.Data, 1e-14);
    }

    [Fact]
    public void BackwardOnALeafSeedsItsOwnGradient()
    {
        var x = Tensor.Scalar(3.0, requiresGrad: true);
        x.Backward();
        Assert.Equal(1.0, x.Grad!.Item());
    }

    [Fact]
    public void BackwardOnAOneElementTensorOfRankOneOrTwoNeedsNoGradient()
    {
        var x = Tensor.From<double>([2.0], requiresGrad: true);
        x.Pow(3).Backward();
        x.Reshape(1, 1).Exp().Backward();
        Assert.Equal(12.0 + Math.Exp(2.0), x.Grad!.Item(), 1e-13);
    }

    [Fact]
    public void GradFunctionNamesTheProducingOperation()
    {
        var x = Tensor.From<double>(new double[,] { { 1, 2 }, { 3, 4 } }, requiresGrad: true);
        Assert.Null(x.GradFunctionName);
        Assert.Equal("Add", (x + x).GradFunctionName);
        Assert.Equal("Subtract", (x - 1.0).GradFunctionName);
        Assert.Equal("Multiply", (2.0 * x).GradFunctionName);
        Assert.Equal("Divide", (x / 2.0).GradFunctionName);
        Assert.Equal("MatMul", x.MatMul(x).GradFunctionName);
        Assert.Equal("Transpose", x.Transpose().GradFunctionName);
        Assert.Equal("Reshape", x.Reshape(4).GradFunctionName);
        Assert.Equal("Mean", x.Mean(0).GradFunctionName);
    }

    private static void RunOnNewThread(Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception exception)
            {
                failure = exception;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw new InvalidOperationException("The action on the other thread failed.", failure);
        }
    }
}

using System.ComponentModel.DataAnnotations;

namespace Arbiter.Review;

/// <summary>The reviewer page (section <c>Review</c>). Sign-in follows <c>Auth:Mode</c>: a chosen demo user in Development, Entra ID otherwise.</summary>
public sealed class ReviewOptions : IValidatableObject
{
    public const string Section = "Review";

    /// <summary>User ids that are admins on the page (all reviews, agent list, kill switch), besides holders of <c>Auth:AdminRole</c>.</summary>
    public List<string> Admins { get; set; } = [];

    /// <summary>Minutes a sign-in lasts (sliding).</summary>
    [Range(5, 24 * 60)]
    public int SessionMinutes { get; set; } = 60;

    /// <summary>Longest justification a reviewer may write (characters).</summary>
    [Range(10, 4000)]
    public int MaxJustification { get; set; } = 1000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Admins.Count > 100 || Admins.Any(a => string.IsNullOrWhiteSpace(a) || a.Length > 256))
            yield return new ValidationResult("Review:Admins must list at most 100 non-empty user ids of at most 256 characters", [nameof(Admins)]);
    }
}

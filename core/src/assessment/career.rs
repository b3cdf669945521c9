//! A gridworker's career around the scores (目标 9): hired by the village (选聘) and approved
//! by the township (审核); trained; warned after a failed period and reviewed for removal
//! after two; kept or removed (淘汰退出).

use serde::{Deserialize, Serialize};

/// Where a gridworker's career stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Proposed by the village, awaiting the township.
    Proposed,
    /// Declined by the township.
    Declined,
    /// Serving.
    Serving,
    /// Warned after a failed period.
    Warned,
    /// Failed two periods: under review for removal.
    UnderReview,
    /// Left or removed.
    Exited,
}

impl Stage {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Declined => "declined",
            Self::Serving => "serving",
            Self::Warned => "warned",
            Self::UnderReview => "under_review",
            Self::Exited => "exited",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Proposed, Self::Declined, Self::Serving, Self::Warned, Self::UnderReview, Self::Exited]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Proposed => "村(社区)选聘待审核",
            Self::Declined => "乡镇审核未通过",
            Self::Serving => "在岗",
            Self::Warned => "考核不合格·警示",
            Self::UnderReview => "连续不合格·淘汰审议",
            Self::Exited => "退出",
        }
    }
}

/// A move in a career.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Move {
    /// The village proposes the hire (选聘).
    Propose,
    /// The township approves it (审核通过).
    Approve,
    /// The township declines it.
    Decline,
    /// A training attended (培训): no change of stage.
    Train,
    /// A failed period (考核不合格).
    Fail,
    /// A passed period after a warning clears it.
    Pass,
    /// The review keeps the gridworker.
    Keep,
    /// Leaves or is removed (淘汰退出).
    Exit,
}

impl Move {
    /// Every move.
    pub const ALL: [Move; 8] = [Self::Propose, Self::Approve, Self::Decline, Self::Train, Self::Fail, Self::Pass, Self::Keep, Self::Exit];

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Propose => "propose",
            Self::Approve => "approve",
            Self::Decline => "decline",
            Self::Train => "train",
            Self::Fail => "fail",
            Self::Pass => "pass",
            Self::Keep => "keep",
            Self::Exit => "exit",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Whether the move is the township's (approval, review and removal) rather than the
    /// village's.
    pub fn needs_township(self) -> bool {
        matches!(self, Self::Approve | Self::Decline | Self::Keep | Self::Exit)
    }
}

/// Why a move is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a gridworker {stage} cannot be {action}: {need}")]
pub struct CareerError {
    /// The stage.
    pub stage: &'static str,
    /// The move.
    pub action: &'static str,
    /// What would have to come first.
    pub need: &'static str,
}

/// The stage after `m` from `stage` (`None`: no career yet).
///
/// ```
/// use wangge_core::assessment::career::{apply, Move, Stage};
/// assert_eq!(apply(None, Move::Propose), Ok(Stage::Proposed));
/// assert_eq!(apply(Some(Stage::Serving), Move::Fail), Ok(Stage::Warned));
/// assert_eq!(apply(Some(Stage::Warned), Move::Fail), Ok(Stage::UnderReview));
/// assert!(apply(Some(Stage::Proposed), Move::Fail).is_err());
/// ```
pub fn apply(stage: Option<Stage>, m: Move) -> Result<Stage, CareerError> {
    use Stage::*;
    let refuse = |need| CareerError { stage: stage.map_or("without a career", Stage::as_str), action: m.as_str(), need };
    match (stage, m) {
        (None | Some(Declined | Exited), Move::Propose) => Ok(Proposed),
        (_, Move::Propose) => Err(refuse("a gridworker serving or proposed is not proposed again")),
        (Some(Proposed), Move::Approve) => Ok(Serving),
        (Some(Proposed), Move::Decline) => Ok(Declined),
        (_, Move::Approve | Move::Decline) => Err(refuse("only a proposed hire is approved or declined")),
        (Some(s @ (Serving | Warned | UnderReview)), Move::Train) => Ok(s),
        (Some(Serving), Move::Fail) => Ok(Warned),
        (Some(Warned | UnderReview), Move::Fail) => Ok(UnderReview),
        (Some(s @ Serving), Move::Pass) | (Some(s @ UnderReview), Move::Pass) => Ok(s),
        (Some(Warned), Move::Pass) => Ok(Serving),
        (Some(UnderReview), Move::Keep) => Ok(Serving),
        (_, Move::Keep) => Err(refuse("only a gridworker under review is kept")),
        (Some(Serving | Warned | UnderReview), Move::Exit) => Ok(Exited),
        _ => Err(refuse("the gridworker must be serving")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_failed_periods_lead_to_review_and_a_pass_clears_a_warning() {
        let mut s = apply(None, Move::Propose).ok();
        for m in [Move::Approve, Move::Train, Move::Fail, Move::Pass, Move::Fail, Move::Fail] {
            s = Some(apply(s, m).unwrap_or_else(|e| panic!("{e}")));
        }
        assert_eq!(s, Some(Stage::UnderReview));
        assert_eq!(apply(s, Move::Pass), Ok(Stage::UnderReview), "only the review decides");
        assert_eq!(apply(s, Move::Keep), Ok(Stage::Serving));
        assert_eq!(apply(s, Move::Exit), Ok(Stage::Exited));
        assert_eq!(apply(Some(Stage::Exited), Move::Propose), Ok(Stage::Proposed), "rehired through the village");
        assert!(apply(Some(Stage::Exited), Move::Train).is_err());
        assert!(apply(Some(Stage::Serving), Move::Approve).is_err());
        assert!(apply(None, Move::Approve).is_err());
        assert!(Move::Approve.needs_township() && !Move::Propose.needs_township() && !Move::Train.needs_township());
        for m in Move::ALL {
            assert_eq!(Move::parse(m.as_str()), Some(m));
        }
    }
}

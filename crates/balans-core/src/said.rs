//! Messages as entries of the web app's message catalog: a code and the values
//! of its placeholders, beside the English text every error carries, so that a
//! page says a message in its reader's language.

/// A message as an entry of the catalog and the values of its placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub code: Code,
    pub args: Vec<(&'static str, String)>,
}

/// The messages of the catalog. Each names its placeholders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// `{name}`: no party has this key or name.
    UnknownParty,
    /// `{name}`, `{candidates}`.
    PartyDidYouMean,
    /// `{name}`, `{count}`, `{candidates}`.
    PartyAmbiguous,
    /// `{name}`.
    UnknownKind,
    /// `{name}`, `{candidates}`.
    KindDidYouMean,
    /// `{name}`, `{count}`, `{candidates}`.
    KindAmbiguous,
    /// `{kind}`: the kind has no default, and no amount was given.
    NeedsAmount,
    /// `{amount}`.
    NegativePayment,
    /// No placeholder.
    GivesToItself,
    /// No placeholder.
    EmptyName,
    /// `{text}`.
    AmountUnreadable,
    /// `{text}`, `{thousands}`, `{decimal}`.
    AmountAmbiguous,
    /// `{text}`.
    AmountTooPrecise,
    /// `{text}`.
    MomentUnreadable,
    /// `{header}`: no file type has such a header.
    FileTypeUnknown,
    /// `{column}`.
    ColumnTwice,
    /// `{columns}` (quoted, listed), `{expected}` (the file type's header).
    ColumnsUnknown,
    /// `{columns}` (quoted, listed).
    ColumnsMissing,
    /// `{found}`, `{expected}`, `{delimiter}`.
    FieldCount,
    /// No placeholder: the file is not UTF-8 text.
    NotUtf8,
    /// `{max}`.
    TooManyRows,
    /// `{name}`: a person was named where an organization belongs.
    NotAnOrganization,
    /// `{name}`: an organization was named where a person belongs.
    NotAPerson,
    /// `{text}`.
    RoleUnknown,
    /// No placeholder: a membership's end before its start.
    EndsBeforeStart,
    /// No placeholder: an organization named for an organization.
    OrgForOrg,
    /// `{max}`: a text longer than so many bytes.
    TooLong,
    /// `{id}`: the id is stored for another gesture.
    IdInUse,
    /// `{id}`: a reversal of a gesture not stored.
    ReversesUnknown,
    /// `{key}`: another party has this key.
    PartyKeyTaken,
    /// `{code}`: the catalog has this kind.
    KindTaken,
    /// `{email}`: a user has this address.
    UserTaken,
    /// `{email}`: the last admin cannot go.
    LastAdmin,
    /// `{gesture}` (described): a membership change would leave it counting
    /// for no single organization.
    NoLongerAttributable,
    /// `{error}`: the temporary file that counts a file's rows without an id
    /// failed.
    TemporaryFile,
    /// `{share}`: a handover's share outside 0–100.
    HandoverShare,
    /// `{name}`: a successor who is an organization.
    HandoverNotAPerson,
    /// `{a}`, `{b}`: no gesture between them counts for two organizations.
    HandoverNothing,
    /// `{a}`, `{b}`: both still members, so their credits are live.
    HandoverLive,
    /// `{successor}`, `{a}`, `{b}`: the successor is on neither side that left.
    HandoverWrongSide,
    /// `{successor}`, `{a}`, `{b}`: the successor could succeed in several relationships.
    HandoverAmbiguous,
    /// `{id}`: the handover was decided already.
    HandoverDecided,
    /// `{id}`: a decision before the offer.
    HandoverBeforeOffer,
    /// `{id}`, `{name}`: the one who left is a member again.
    HandoverLiveAgain,
    /// `{id}`, `{taken}`, `{share}`: more than 100% of one pair.
    HandoverBeyond,
    /// `{name}`, `{id}`: the successor is a user, and only they decide.
    HandoverNotYours,
    /// `{name}`, `{id}`: recording a successor's decision takes the staff role.
    HandoverTakesStaff,
    /// `{id}`: withdrawing a handover takes the staff role.
    HandoverWithdrawTakesStaff,
    /// `{name}`: a user linked to an organization, not a person.
    LinkNotAPerson,
    /// `{name}`, `{email}`: the person is linked to another user already.
    LinkTaken,
    /// `{value}`: a key-person threshold that is no whole percentage from 0 to 100.
    SettingPercent,
    /// `{value}`: an alert threshold that is no amount of zero or more.
    SettingAmount,
    /// `{id}`: the alert was dismissed already, or is unknown.
    AlertUnknown,
    /// No placeholder: a party key is empty.
    KeyEmpty,
    /// `{max}`: a party key longer than so many bytes.
    KeyTooLong,
    /// `{text}`: a party key with a control character or a line break.
    KeyControl,
    /// `{max}`: a gesture id longer than so many bytes.
    IdTooLong,
    /// `{text}`: a gesture id with a space or a control character.
    IdUnusable,
    /// `{key}`: a party stored as a person, given as an organization.
    StoredAsPerson,
    /// `{key}`: a party stored as an organization, given as a person.
    StoredAsOrganization,
    /// `{id}`: a reversal of a reversal.
    ReversalOfReversal,
    /// `{id}`, `{by}`: the gesture is reversed already.
    AlreadyReversed,
    /// `{gesture}` (described): a reversal with other parties or kind.
    ReversalDiffers,
    /// No placeholder: a reversal naming other organizations.
    ReversalOrganizations,
    /// `{amount}`: the only amount a reversal can have.
    ReversalAmount,
    /// `{id}`: no gesture has this id.
    UnknownGesture,
    /// `{email}`: no user has this address.
    UnknownUser,
    /// `{id}`: no active token has this number.
    UnknownToken,
    /// `{name}`: no organization has this key or name.
    UnknownOrganization,
    /// `{name}`, `{count}`, `{candidates}`.
    OrganizationAmbiguous,
    /// `{text}`: not an e-mail address.
    EmailUnusable,
    /// `{min}`: a password shorter than so many characters.
    PasswordTooShort,
    /// No placeholder: a token needs a name.
    TokenNameUnusable,
    /// `{name}`: no time zone has this name.
    ZoneUnknown,
    /// No placeholder: a balance of a party with itself.
    SameParty,
    /// `{id}`: no promise has this id.
    PromiseUnknown,
    /// `{id}`, `{when}`, `{gesture}`.
    PromiseWasKept,
    /// `{id}`, `{when}`, `{gesture}`.
    PromiseWasBroken,
    /// `{id}`, `{when}`, `{reason}`.
    PromiseWasReleased,
    /// `{amount}`, `{promised}`.
    PromiseKeptAmount,
    /// `{due}`, `{made}`.
    PromiseDueBeforeMade,
    /// No placeholder.
    PromiseNeedsDue,
    /// `{amount}`.
    PromiseNegative,
    /// `{due}`.
    PromiseMoveToPast,
    /// No placeholder.
    PromiseNeedsReason,
    /// `{id}`.
    PromiseIdTaken,
    /// No placeholder.
    PromiseToItself,
}

impl Said {
    pub fn new(code: Code, args: &[(&'static str, &str)]) -> Said {
        Said {
            code,
            args: args.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        }
    }
}

impl Code {
    /// Every code, for the catalog's tests.
    pub const ALL: &[Code] = &[
        Code::UnknownParty,
        Code::PartyDidYouMean,
        Code::PartyAmbiguous,
        Code::UnknownKind,
        Code::KindDidYouMean,
        Code::KindAmbiguous,
        Code::NeedsAmount,
        Code::NegativePayment,
        Code::GivesToItself,
        Code::EmptyName,
        Code::AmountUnreadable,
        Code::AmountAmbiguous,
        Code::AmountTooPrecise,
        Code::MomentUnreadable,
        Code::FileTypeUnknown,
        Code::ColumnTwice,
        Code::ColumnsUnknown,
        Code::ColumnsMissing,
        Code::FieldCount,
        Code::NotUtf8,
        Code::TooManyRows,
        Code::NotAnOrganization,
        Code::NotAPerson,
        Code::RoleUnknown,
        Code::EndsBeforeStart,
        Code::OrgForOrg,
        Code::TooLong,
        Code::IdInUse,
        Code::ReversesUnknown,
        Code::PartyKeyTaken,
        Code::KindTaken,
        Code::UserTaken,
        Code::LastAdmin,
        Code::NoLongerAttributable,
        Code::TemporaryFile,
        Code::HandoverShare,
        Code::HandoverNotAPerson,
        Code::HandoverNothing,
        Code::HandoverLive,
        Code::HandoverWrongSide,
        Code::HandoverAmbiguous,
        Code::HandoverDecided,
        Code::HandoverBeforeOffer,
        Code::HandoverLiveAgain,
        Code::HandoverBeyond,
        Code::HandoverNotYours,
        Code::HandoverTakesStaff,
        Code::HandoverWithdrawTakesStaff,
        Code::LinkNotAPerson,
        Code::LinkTaken,
        Code::SettingPercent,
        Code::SettingAmount,
        Code::AlertUnknown,
        Code::KeyEmpty,
        Code::KeyTooLong,
        Code::KeyControl,
        Code::IdTooLong,
        Code::IdUnusable,
        Code::StoredAsPerson,
        Code::StoredAsOrganization,
        Code::ReversalOfReversal,
        Code::AlreadyReversed,
        Code::ReversalDiffers,
        Code::ReversalOrganizations,
        Code::ReversalAmount,
        Code::UnknownGesture,
        Code::UnknownUser,
        Code::UnknownToken,
        Code::UnknownOrganization,
        Code::OrganizationAmbiguous,
        Code::EmailUnusable,
        Code::PasswordTooShort,
        Code::TokenNameUnusable,
        Code::ZoneUnknown,
        Code::SameParty,
        Code::PromiseUnknown,
        Code::PromiseWasKept,
        Code::PromiseWasBroken,
        Code::PromiseWasReleased,
        Code::PromiseKeptAmount,
        Code::PromiseDueBeforeMade,
        Code::PromiseNeedsDue,
        Code::PromiseNegative,
        Code::PromiseMoveToPast,
        Code::PromiseNeedsReason,
        Code::PromiseIdTaken,
        Code::PromiseToItself,
    ];
}

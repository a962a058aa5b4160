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
    ];
}

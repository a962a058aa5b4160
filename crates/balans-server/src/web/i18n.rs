//! Every text of the web app, in English and Dutch, in one table. A page names a
//! text by its entry, so a text missing in one language cannot compile. Texts with
//! `{name}` in them are filled in by the page.

/// A language the web app speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Nl,
}

impl Lang {
    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "nl" => Some(Lang::Nl),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nl => "nl",
        }
    }

    /// The language's own name for itself.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Nl => "Nederlands",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Nl,
            Lang::Nl => Lang::En,
        }
    }
}

macro_rules! texts {
    ($($name:ident => $en:literal, $nl:literal;)*) => {
        /// A text of the web app.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum T { $($name,)* }

        impl T {
            /// Every text, for tests.
            pub const ALL: &[T] = &[$(T::$name,)*];

            pub fn get(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((T::$name, Lang::En) => $en, (T::$name, Lang::Nl) => $nl,)*
                }
            }
        }
    };
}

texts! {
    Promises => "Promises", "Beloften";
    PromisesExplained => "A promise is a gesture still to come. Kept, it is recorded; not kept by its due moment, it becomes a broken promise by itself.", "Een belofte is een gebaar dat nog moet komen. Nagekomen wordt het vastgelegd; niet nagekomen op het afgesproken moment wordt het vanzelf een gebroken belofte.";
    PromisesOverdue => "Past due, not kept yet", "Over tijd, nog niet nagekomen";
    PromisesDueToday => "Promises due today", "Beloften voor vandaag";
    PromisesDueThisWeek => "Due this week", "Deze week";
    PromisesBrokenThisWeek => "Broken this week", "Deze week gebroken";
    NoPromisesHere => "None.", "Geen.";
    AllPromises => "All promises", "Alle beloften";
    LaterPromises => "Promises due later this week", "Beloften voor later deze week";
    MoreBrokenPromises => "More promises broken this week", "Meer beloften die deze week gebroken zijn";
    KeepPromise => "Kept", "Nagekomen";
    PromiseMoved => "renegotiated", "opnieuw afgesproken";
    DueOptional => "Due (optional: makes it a promise)", "Uiterlijk (optioneel: maakt er een belofte van)";
    PromiseMade => "Promise made.", "Belofte vastgelegd.";
    KeptRate => "Promises kept", "Beloften nagekomen";
    KeptRateOf => "{rate} of {count}", "{rate} van {count}";
    NoneResolvedYet => "none kept or broken yet", "nog geen nagekomen of gebroken";
    Others => "Others", "Anderen";
    PromiseSentence => "{promiser} promised {promisee} {kind} by {due}", "{promiser} beloofde {promisee} {kind} uiterlijk {due}";
    PromiseBrokenSentence => "{promiser} promised {promisee} {kind} by {due}; it was not kept", "{promiser} beloofde {promisee} {kind} uiterlijk {due}; dat is niet nagekomen";
    Actions => "Actions", "Acties";
    AddKind => "Add a kind", "Soort toevoegen";
    AddUser => "Add a user", "Gebruiker toevoegen";
    AllParties => "All", "Alle";
    OfOrganization => "Of organization (name or key)", "Van organisatie (naam of sleutel)";
    OnlyOneSided => "Only one-sided", "Alleen eenzijdige";
    PartiesLevels => "Each party's balances with everyone: an organization's at organization level, a person's at person level.", "De balansen van elke partij met iedereen: van een organisatie op organisatieniveau, van een persoon op persoonsniveau.";
    PartiesCount => "{count} parties", "{count} partijen";
    ExportCsv => "Export as CSV", "Exporteren als CSV";
    CreditNet => "Credit points, net", "Verdienste, netto";
    MoneyNet => "Money, net", "Geld, netto";
    LastContact => "Last contact", "Laatste contact";
    Pages => "Pages", "Pagina's";
    PreviousPage => "Previous page", "Vorige pagina";
    PageOf => "Page {page} of {pages}", "Pagina {page} van {pages}";
    SearchEverything => "Search parties, notes and items", "Zoek in partijen, notities en artikelen";
    SearchPlaceholder => "Search… (/)", "Zoeken… (/)";
    SearchResults => "Search", "Zoeken";
    SearchTooShort => "Type at least two characters.", "Typ minstens twee tekens.";
    PartiesFound => "Parties", "Partijen";
    GesturesFound => "Gestures whose note or item holds it, newest first", "Gebaren met dit in de notitie of het artikel, nieuwste eerst";
    MorePartiesFound => "All {count} parties found", "Alle {count} gevonden partijen";
    NewParty => "New party", "Nieuwe partij";
    NewPartyNamed => "New party “{name}”…", "Nieuwe partij „{name}”…";
    EditParty => "Change {name}", "{name} wijzigen";
    Edit => "Change", "Wijzigen";
    KeyOptional => "Key (optional: made from the name)", "Sleutel (optioneel: wordt gemaakt van de naam)";
    Phone => "Phone", "Telefoon";
    AddMembership => "Add a membership", "Lidmaatschap toevoegen";
    MembershipOrganization => "Organization (name or key)", "Organisatie (naam of sleutel)";
    MembershipPerson => "Person (name or key)", "Persoon (naam of sleutel)";
    UntilOptional => "Until (optional)", "Tot (optioneel)";
    EndOn => "End on", "Beëindigen op";
    EndMembership => "End", "Beëindigen";
    SetupTitle => "Set up Balans", "Balans instellen";
    SetupExplained => "Balans has no users yet. Make yourself its first admin, and say who “we” are.", "Balans heeft nog geen gebruikers. Word de eerste beheerder, en vertel wie „wij” zijn.";
    SetupStart => "Start with", "Beginnen met";
    SetupStartEmpty => "An empty ledger, for our own organization", "Een leeg grootboek, voor onze eigen organisatie";
    SetupStartDemo => "The demo organization (Bosman Wonen), to look around first", "De demo-organisatie (Bosman Wonen), om eerst rond te kijken";
    SetupOrganization => "Our organization's name", "Naam van onze organisatie";
    SetupLanguage => "Language", "Taal";
    SetupZone => "Time zone", "Tijdzone";
    SetupDone => "Set up and log in", "Instellen en inloggen";
    SetupFinished => "Balans is set up already: an admin exists. Log in, or ask an admin for an account.", "Balans is al ingesteld: er is een beheerder. Log in, of vraag een beheerder om een account.";
    PasswordTen => "Password (at least 10 characters)", "Wachtwoord (minstens 10 tekens)";
    Templates => "Templates to fill in (for Excel)", "Sjablonen om in te vullen (voor Excel)";
    EmptyNoParties => "Start with the people and organizations you deal with:", "Begin met de mensen en organisaties waarmee je te maken hebt:";
    WhatChanged => "What changed", "Wat er veranderde";
    MoreChanges => "… and {count} more: see the CSV export.", "… en nog {count}: zie de CSV-export.";
    WindowSwitch => "Looking at", "Periode";
    AllTime => "all time", "vanaf het begin";
    LastYear => "the last 12 months", "de afgelopen 12 maanden";
    LastDays => "the last {days} days", "de afgelopen {days} dagen";
    Years => "{n} years", "{n} jaar";
    Months => "{n} months", "{n} maanden";
    RateOnePerMonth => "about one gesture a month", "ongeveer één gebaar per maand";
    RatePerMonth => "about {n} gestures a month", "ongeveer {n} gebaren per maand";
    RateEveryMonths => "a gesture about every {n} months", "ongeveer één gebaar per {n} maanden";
    WentQuiet => "{them}: nothing given to us in {window}, after {duration} of {rate}.", "{them}: niets aan ons gegeven in {window}, na {duration} met {rate}.";
    TurnedByThem => "{them}: {takes} takes from them in {window} ({kinds}), after giving {before} before.", "{them}: {takes} keer iets genomen door hen in {window} ({kinds}), terwijl ze daarvoor {before} gaven.";
    TurnedByUs => "{them}: {takes} takes from us in {window} ({kinds}), after we gave {before} before.", "{them}: {takes} keer iets genomen door ons in {window} ({kinds}), terwijl wij daarvoor {before} gaven.";
    SaidUnknownParty => "No party '{name}' yet: add it first (New party).", "Nog geen partij '{name}': voeg die eerst toe (Nieuwe partij).";
    SaidPartyDidYouMean => "No party '{name}': did you mean {candidates}?", "Geen partij '{name}': bedoel je {candidates}?";
    SaidPartyAmbiguous => "'{name}' names {count} parties: {candidates}; give the key.", "'{name}' past bij {count} partijen: {candidates}; geef de sleutel.";
    SaidUnknownKind => "No kind '{name}': see the kinds on the Catalog page.", "Geen soort '{name}': zie de soorten op de pagina Catalogus.";
    SaidKindDidYouMean => "No kind '{name}': did you mean {candidates}?", "Geen soort '{name}': bedoel je {candidates}?";
    SaidKindAmbiguous => "'{name}' names {count} kinds: {candidates}; give the code.", "'{name}' past bij {count} soorten: {candidates}; geef de code.";
    SaidNeedsAmount => "A {kind} gesture needs an amount: the kind has no default.", "Een gebaar van de soort {kind} heeft een bedrag nodig: de soort heeft geen standaardwaarde.";
    SaidNegativePayment => "{amount}: a payment is never negative. A refund is a payment the other way (swap giver and receiver); a mistake is undone with Reverse.", "{amount}: een betaling is nooit negatief. Een terugbetaling is een betaling de andere kant op (wissel gever en ontvanger); een vergissing maak je ongedaan met Terugboeken.";
    SaidGivesToItself => "A party cannot give to itself.", "Een partij kan niet aan zichzelf geven.";
    SaidEmptyName => "The name is empty.", "De naam is leeg.";
    SaidAmountUnreadable => "'{text}' is not an amount.", "'{text}' is geen bedrag.";
    SaidAmountAmbiguous => "'{text}' could be read two ways: write {thousands} or {decimal}.", "'{text}' kan op twee manieren gelezen worden: schrijf {thousands} of {decimal}.";
    SaidAmountTooPrecise => "'{text}' has more than two decimals.", "'{text}' heeft meer dan twee decimalen.";
    SaidFileTypeUnknown => "Which kind of file this is cannot be told from its first row ({header}). A parties file starts with key,kind,name; a memberships file with person,organization,role,from; a gestures file with at,giver,receiver,kind. The templates on this page show them.", "Uit de eerste regel ({header}) valt niet op te maken wat voor bestand dit is. Een partijenbestand begint met key,kind,name; een lidmaatschappenbestand met person,organization,role,from; een gebarenbestand met at,giver,receiver,kind. De sjablonen op deze pagina laten ze zien.";
    SaidColumnTwice => "The column '{column}' appears twice in the first row.", "De kolom '{column}' staat twee keer in de eerste regel.";
    SaidColumnsUnknown => "Unknown columns {columns}. The columns of this file are {expected}.", "Onbekende kolommen {columns}. De kolommen van dit bestand zijn {expected}.";
    SaidColumnsMissing => "The file lacks the columns {columns}, which it needs.", "Het bestand mist de kolommen {columns}, die het nodig heeft.";
    SaidFieldCount => "This row has {found} fields where the first row has {expected}. Is there a '{delimiter}' inside a field without quotes around it?", "Deze regel heeft {found} velden waar de eerste regel er {expected} heeft. Staat er een '{delimiter}' in een veld zonder aanhalingstekens eromheen?";
    SaidNotUtf8 => "The file is not UTF-8 text. In Excel, save it as 'CSV UTF-8 (comma delimited)' and upload it again.", "Het bestand is geen UTF-8-tekst. Sla het in Excel op als 'CSV UTF-8 (door komma's gescheiden)' en upload het opnieuw.";
    SaidTooManyRows => "The file has more than {max} rows: split it into smaller files.", "Het bestand heeft meer dan {max} regels: splits het in kleinere bestanden.";
    SaidNotAnOrganization => "'{name}' is a person, not an organization.", "'{name}' is een persoon, geen organisatie.";
    SaidNotAPerson => "'{name}' is an organization, not a person.", "'{name}' is een organisatie, geen persoon.";
    SaidRoleUnknown => "'{text}' is not a role: write employee or contact.", "'{text}' is geen rol: schrijf employee (medewerker) of contact (contactpersoon).";
    SaidEndsBeforeStart => "The membership ends before it starts.", "Het lidmaatschap eindigt voordat het begint.";
    SaidOrgForOrg => "Only a person gives or receives for an organization: leave this empty when an organization gives.", "Alleen een persoon geeft of ontvangt namens een organisatie: laat dit leeg als een organisatie geeft.";
    SaidTooLong => "Too long: at most {max} bytes.", "Te lang: hoogstens {max} bytes.";
    SaidIdInUse => "The id '{id}' is already used for another gesture.", "Het id '{id}' is al gebruikt voor een ander gebaar.";
    SaidReversesUnknown => "No gesture with id '{id}' is stored: a reversal comes after its gesture.", "Er is geen gebaar met id '{id}': een terugboeking komt na het gebaar dat ze terugdraait.";
    SaidPartyKeyTaken => "A party with the key '{key}' exists already: choose another key.", "Er is al een partij met de sleutel '{key}': kies een andere sleutel.";
    SaidKindTaken => "The kind '{code}' exists already: change it in the catalog.", "De soort '{code}' bestaat al: wijzig die in de catalogus.";
    SaidUserTaken => "A user {email} exists already.", "Er is al een gebruiker {email}.";
    SaidLastAdmin => "{email} is the last admin: make another user admin first.", "{email} is de laatste beheerder: maak eerst een andere gebruiker beheerder.";
    SaidNoLongerAttributable => "Not changed: the gesture {gesture} would then count for no single organization. Name the organization in that gesture, or choose other dates.", "Niet gewijzigd: het gebaar {gesture} telt dan niet meer voor één organisatie. Noem de organisatie in dat gebaar, of kies andere data.";
    SaidTemporaryFile => "Nothing was imported: the temporary file in which Balans counts the rows without an id could not be written ({error}). Make room on the disk of the temporary directory and import again.", "Er is niets geïmporteerd: het tijdelijke bestand waarin Balans de regels zonder id telt, kon niet worden geschreven ({error}). Maak ruimte op de schijf van de tijdelijke map en importeer opnieuw.";
    SaidHandoverShare => "A share is a whole percentage from 0 to 100, not {share}.", "Een deel is een heel percentage van 0 tot 100, niet {share}.";
    SaidHandoverNotAPerson => "The successor must be a person; {name} is an organization.", "De opvolger moet een persoon zijn; {name} is een organisatie.";
    SaidHandoverNothing => "Nothing between {a} and {b} counts for two organizations: there is nothing to hand over.", "Niets tussen {a} en {b} telt voor twee organisaties: er valt niets over te dragen.";
    SaidHandoverLive => "{a} and {b} both still belong to their organizations: their credits are live, and only dormant credits can be handed over.", "{a} en {b} horen allebei nog bij hun organisatie: hun verdienste is levend, en alleen slapende verdienste kan worden overgedragen.";
    SaidHandoverWrongSide => "{successor} does not belong to the organization that {a} or {b} left: a successor takes the place of the one who left.", "{successor} hoort niet bij de organisatie die {a} of {b} verliet: een opvolger neemt de plaats in van wie wegging.";
    SaidHandoverAmbiguous => "{successor} could succeed in more than one relationship of {a} and {b}: end the memberships that no longer hold first.", "{successor} kan in meer dan één relatie van {a} en {b} opvolgen: beëindig eerst de lidmaatschappen die niet meer gelden.";
    SaidHandoverDecided => "Handover #{id} was decided already.", "Over overdracht #{id} is al besloten.";
    SaidHandoverBeforeOffer => "Handover #{id} cannot be decided before it was offered.", "Over overdracht #{id} kan niet worden besloten voordat ze werd aangeboden.";
    SaidHandoverLiveAgain => "Handover #{id}: {name} belongs to the organization again, so the credits are live and cannot be handed over.", "Overdracht #{id}: {name} hoort weer bij de organisatie, dus de verdienste is levend en kan niet worden overgedragen.";
    SaidHandoverBeyond => "Handover #{id}: {taken}% of these credits was handed over already, so {share}% more would be more than all of it.", "Overdracht #{id}: {taken}% van deze verdienste is al overgedragen, dus nog {share}% zou meer zijn dan het geheel.";
    SaidHandoverNotYours => "{name} is a user of Balans: only they accept or decline handover #{id}, logged in as themselves.", "{name} is een gebruiker van Balans: alleen die aanvaardt of weigert overdracht #{id}, ingelogd als zichzelf.";
    SaidHandoverTakesStaff => "Recording the decision of {name} on handover #{id} takes the staff role.", "Het besluit van {name} over overdracht #{id} vastleggen vraagt de rol medewerker.";
    SaidHandoverWithdrawTakesStaff => "Withdrawing handover #{id} takes the staff role.", "Overdracht #{id} intrekken vraagt de rol medewerker.";
    SaidLinkNotAPerson => "{name} is an organization: a user is linked to the person they are.", "{name} is een organisatie: een gebruiker wordt gekoppeld aan de persoon die hij is.";
    SaidLinkTaken => "{name} is linked to {email} already.", "{name} is al gekoppeld aan {email}.";
    SaidSettingPercent => "The key-person threshold is a whole percentage from 0 to 100, not '{value}'.", "De drempel voor een sleutelpersoon is een heel percentage van 0 tot 100, niet '{value}'.";
    SaidSettingAmount => "The alert threshold is an amount of zero or more, such as 10 or 12.50, not '{value}'.", "De drempel voor een melding is een bedrag van nul of meer, zoals 10 of 12,50, niet '{value}'.";
    SaidAlertUnknown => "There is no open alert #{id}.", "Er is geen open melding #{id}.";
    SaidKeyEmpty => "The key is empty: give each party a key, such as a customer number or an e-mail address.", "De sleutel is leeg: geef elke partij een sleutel, zoals een klantnummer of een e-mailadres.";
    SaidKeyTooLong => "The key is too long: at most {max} bytes.", "De sleutel is te lang: hoogstens {max} bytes.";
    SaidKeyControl => "The key '{text}' holds a line break or a control character.", "De sleutel '{text}' bevat een regeleinde of een stuurteken.";
    SaidIdTooLong => "The id is too long: at most {max} bytes.", "Het id is te lang: hoogstens {max} bytes.";
    SaidIdUnusable => "The id '{text}' holds a space or a control character.", "Het id '{text}' bevat een spatie of een stuurteken.";
    SaidStoredAsPerson => "'{key}' is stored as a person, not as an organization.", "'{key}' staat als persoon opgeslagen, niet als organisatie.";
    SaidStoredAsOrganization => "'{key}' is stored as an organization, not as a person.", "'{key}' staat als organisatie opgeslagen, niet als persoon.";
    SaidReversalOfReversal => "'{id}' is itself a reversal: record the gesture anew instead.", "'{id}' is zelf een terugboeking: leg het gebaar liever opnieuw vast.";
    SaidAlreadyReversed => "'{id}' is already reversed, by '{by}'.", "'{id}' is al teruggeboekt, door '{by}'.";
    SaidReversalDiffers => "A reversal has the giver, receiver and kind of the gesture it reverses ({gesture}).", "Een terugboeking heeft dezelfde gever, ontvanger en soort als het gebaar dat ze terugdraait ({gesture}).";
    SaidReversalOrganizations => "A reversal names the same organizations as the gesture it reverses.", "Een terugboeking noemt dezelfde organisaties als het gebaar dat ze terugdraait.";
    SaidReversalAmount => "This reversal's amount can only be {amount}.", "Het bedrag van deze terugboeking kan alleen {amount} zijn.";
    SaidUnknownGesture => "No gesture has the id '{id}'.", "Er is geen gebaar met het id '{id}'.";
    SaidUnknownUser => "No user has the address {email}.", "Er is geen gebruiker met het adres {email}.";
    SaidUnknownToken => "No active API token #{id}.", "Er is geen actief API-token #{id}.";
    SaidUnknownOrganization => "No organization has the key or name '{name}'.", "Er is geen organisatie met de sleutel of naam '{name}'.";
    SaidOrganizationAmbiguous => "'{name}' names {count} organizations: {candidates}; give the key.", "'{name}' past bij {count} organisaties: {candidates}; geef de sleutel.";
    SaidEmailUnusable => "'{text}' is not an e-mail address.", "'{text}' is geen e-mailadres.";
    SaidPasswordTooShort => "The password needs at least {min} characters.", "Het wachtwoord moet minstens {min} tekens hebben.";
    SaidTokenNameUnusable => "Give the token a name of 1 to 200 bytes, such as the tool that uses it.", "Geef het token een naam van 1 tot 200 bytes, zoals het programma dat het gebruikt.";
    SaidZoneUnknown => "'{name}' is not a time zone: choose one such as Europe/Amsterdam.", "'{name}' is geen tijdzone: kies er een zoals Europe/Amsterdam.";
    SaidSameParty => "A balance needs two different parties.", "Een balans gaat over twee verschillende partijen.";
    SaidPromiseUnknown => "No promise with id {id}.", "Geen belofte met id {id}.";
    SaidPromiseWasKept => "Promise {id} was kept on {when} by gesture {gesture}; a promise is resolved once.", "Belofte {id} is op {when} nagekomen met gebaar {gesture}; een belofte wordt één keer afgehandeld.";
    SaidPromiseWasBroken => "Promise {id} was broken on {when} by gesture {gesture}; a promise is resolved once.", "Belofte {id} is op {when} gebroken met gebaar {gesture}; een belofte wordt één keer afgehandeld.";
    SaidPromiseWasReleased => "Promise {id} was released on {when}: {reason}; a promise is resolved once.", "Belofte {id} is op {when} vrijgegeven: {reason}; een belofte wordt één keer afgehandeld.";
    SaidPromiseKeptAmount => "{amount}: a promise of {promised} is kept with 0 up to that amount.", "{amount}: een belofte van {promised} wordt nagekomen met 0 tot en met dat bedrag.";
    SaidPromiseDueBeforeMade => "The due moment {due} is before the promise was made ({made}).", "Het afgesproken moment {due} ligt vóór het moment waarop de belofte werd gedaan ({made}).";
    SaidPromiseNeedsDue => "A promise needs a due moment.", "Een belofte heeft een afgesproken moment nodig.";
    SaidPromiseToItself => "A party cannot make a promise to itself.", "Een partij kan zichzelf niets beloven.";
    SaidPromiseNegative => "{amount}: a promise is of something given, never negative.", "{amount}: een belofte gaat over iets dat gegeven wordt, nooit negatief.";
    SaidPromiseMoveToPast => "The new due moment {due} has passed: a promise is moved to a moment to come.", "Het nieuwe moment {due} is al voorbij: een belofte wordt verzet naar een moment dat nog komt.";
    SaidPromiseNeedsReason => "A promise is released with a reason.", "Een belofte wordt vrijgegeven met een reden.";
    SaidPromiseIdTaken => "A promise with id {id} is stored already, with other content.", "Er is al een belofte met id {id}, met een andere inhoud.";
    SaidMomentUnreadable => "'{text}' is not a moment: write now, yesterday 14:30, or a date such as 15-3-2024.", "'{text}' is geen tijdstip: schrijf nu, gisteren 14:30, of een datum zoals 15-3-2024.";
    AllKinds => "All kinds", "Alle soorten";
    AlreadyReversed => "This gesture was reversed already, by {id}.", "Dit gebaar is al teruggeboekt, door {id}.";
    AlreadySaved => "This gesture was saved already; nothing was added.", "Dit gebaar was al opgeslagen; er is niets toegevoegd.";
    Amount => "Amount", "Bedrag";
    AmountOptional => "Amount (optional)", "Bedrag (optioneel)";
    AmountRequired => "always given", "altijd opgeven";
    Back => "Back", "Terug";
    BackToDashboard => "Back to the overview", "Terug naar het overzicht";
    CanLogIn => "Can log in", "Kan inloggen";
    Cancel => "Cancel", "Annuleren";
    Catalog => "Catalog", "Catalogus";
    CatalogExplained => "The kinds of gestures, with their value when a gesture names none.", "De soorten gebaren, met hun waarde als een gebaar er geen noemt.";
    CheckFile => "Check the file", "Bestand controleren";
    ChooseFile => "Choose a CSV file first.", "Kies eerst een CSV-bestand.";
    Code => "Code", "Code";
    Column => "Column", "Kolom";
    Count => "Count", "Aantal";
    Counterpart => "Counterpart", "Tegenpartij";
    Counterparts => "Balances with everyone", "Balansen met iedereen";
    CreateToken => "Create an API token", "API-token aanmaken";
    Created => "Created", "Aangemaakt";
    Credit => "Credit points", "Verdienste";
    CreditOverTime => "Net credit points over time", "Netto verdienste in de loop van de tijd";
    CsrfRefused => "This form was not sent from a Balans page, or your session changed. Reload the page and try again.", "Dit formulier kwam niet van een Balans-pagina, of je sessie is veranderd. Laad de pagina opnieuw en probeer het nog eens.";
    CsvFile => "CSV file", "CSV-bestand";
    FileColumn => "File", "Bestand";
    CsvFiles => "CSV files", "CSV-bestanden";
    UploadHint => "One file or several at once (parties, memberships and gestures), at most {limit} MB together.", "Eén bestand of meer tegelijk (partijen, lidmaatschappen en gebaren), samen hoogstens {limit} MB.";
    UploadTooLarge => "The files are larger than {limit} MB together: upload them in smaller parts, one after another.", "De bestanden zijn samen groter dan {limit} MB: upload ze in kleinere delen, één voor één.";
    Dashboard => "Overview", "Overzicht";
    DecimalAuto => "Automatic (semicolons mean a decimal comma)", "Automatisch (puntkomma's betekenen een decimale komma)";
    DecimalComma => "Decimal comma (12,50)", "Decimale komma (12,50)";
    DecimalMark => "Decimal mark", "Decimaalteken";
    DecimalPoint => "Decimal point (12.50)", "Decimale punt (12.50)";
    DefaultValue => "Default value", "Standaardwaarde";
    Dimension => "Balance in", "Balans in";
    Email => "E-mail address", "E-mailadres";
    Employee => "employee", "medewerker";
    Contact => "contact", "contactpersoon";
    EmptyLedger => "No gestures yet. Balans fills up as you record what you and your customers give each other.", "Nog geen gebaren. Balans vult zich zodra je vastlegt wat jij en je klanten elkaar geven.";
    EmptyLedgerNext => "Then record the first gesture with the form at the top (press N), or", "Leg daarna het eerste gebaar vast met het formulier bovenaan (druk op N), of";
    Evenness => "Evenness", "Evenwicht";
    EvenBalanced => "in balance", "in evenwicht";
    EvenLeaning => "leaning", "scheef";
    EvenOneSided => "one-sided", "eenzijdig";
    PointsUnit => "credit points", "punten verdienste";
    PointOne => "credit point", "punt verdienste";
    FileRejected => "The file has {count} errors; nothing was written. Fix them and check again.", "Het bestand heeft {count} fouten; er is niets geschreven. Verbeter ze en controleer het opnieuw.";
    FileRejectedOne => "The file has 1 error; nothing was written. Fix it and check again.", "Het bestand heeft 1 fout; er is niets geschreven. Verbeter die en controleer het opnieuw.";
    FileValid => "The file is valid. Nothing is written until you import it.", "Het bestand is in orde. Er wordt niets geschreven tot je het importeert.";
    Filter => "Filter", "Filteren";
    FixFields => "Some fields need another look; see below each one.", "Sommige velden kloppen nog niet; zie onder elk veld.";
    From => "From", "Van";
    Gestures => "Gestures", "Gebaren";
    GesturesAdded => "Gestures added", "Gebaren toegevoegd";
    GesturesNewestFirst => "Gestures, newest first", "Gebaren, nieuwste eerst";
    GesturesPresent => "Gestures already present", "Gebaren die er al waren";
    HandoversAdded => "Handovers added", "Overdrachten toegevoegd";
    PromisesAdded => "Promises added", "Beloften toegevoegd";
    PromisesPresent => "Promises already present", "Beloften die er al waren";
    Give => "give", "geven";
    GiveOrTake => "Give or take", "Geven of nemen";
    GivenAndReceived => "Given and received", "Gegeven en gekregen";
    Giver => "Giver", "Gever";
    Gives => "Gives", "Geven";
    SideGave => "{name} gave {amount}.", "{name} gaf {amount}.";
    SideGaveTookBack => "{name} gave {amount} and took back {taken}.", "{name} gaf {amount} en nam {taken} terug.";
    SideOnlyTook => "{name} gave nothing and took {taken}.", "{name} gaf niets en nam {taken}.";
    SideGaveNothing => "{name} gave nothing.", "{name} gaf niets.";
    NetMore => "On balance, {more} gave {amount} more than came back.", "Per saldo gaf {more} {amount} meer dan er terugkwam.";
    GaveColumn => "Given", "Gegeven";
    ReceivedColumn => "Received", "Gekregen";
    PaidColumn => "Paid or delivered", "Betaald of geleverd";
    PaidToColumn => "Received", "Ontvangen";
    PartExplained => "{person}'s part of {organization}'s relationships: every gesture between {person} and {organization} or its people at the time.", "Het deel van {person} in de relaties van {organization}: elk gebaar tussen {person} en {organization} of de mensen die er toen bij hoorden.";
    PeopleBehind => "Who it was with", "Met wie";
    CreditsHeading => "Credits that belong to people", "Verdienste van mensen";
    CreditsExplained => "Credits are built by people. What two people built is live while both still belong to their organizations, and dormant once one of them has left, until a successor takes it over. Historical = live + dormant.", "Verdienste wordt door mensen opgebouwd. Wat twee mensen opbouwden is levend zolang ze allebei nog bij hun organisatie horen, en slapend zodra een van hen weg is, tot een opvolger het overneemt. Historisch = levend + slapend.";
    CreditsHistorical => "Historical", "Historisch";
    CreditsLive => "Live", "Levend";
    CreditsDormant => "Dormant", "Slapend";
    CreditsHandedOver => "Handed over", "Overgedragen";
    CreditsSideGave => "{name} side gave", "Kant {name} gaf";
    KeyPersonCarries => "{name} carries {share} of the live credit of this relationship.", "{name} draagt {share} van de levende verdienste van deze relatie.";
    NoKeyPerson => "No one carries most of the live credit.", "Niemand draagt het grootste deel van de levende verdienste.";
    PersonPairs => "The person pairs behind it", "De mensen erachter";
    HandoversOffered => "Handovers offered", "Aangeboden overdrachten";
    OrganizationCredits => "Credits with people, per relationship", "Verdienste van mensen, per relatie";
    OrganizationCreditsExplained => "For the relationships at the top of this page: what the people still here built (live), what left with someone (dormant), what a successor took over, and who carries most of it.", "Voor de relaties bovenaan deze pagina: wat de mensen die er nog zijn opbouwden (levend), wat met iemand vertrok (slapend), wat een opvolger overnam, en wie het meeste draagt.";
    KeyPersons => "Key persons", "Sleutelpersonen";
    CountingCredits => "Counting the credits of its people…", "De verdienste van de mensen wordt geteld…";
    LinkedPerson => "Is the person", "Is de persoon";
    UserLinked => "{email} is linked to the person they are.", "{email} is gekoppeld aan de persoon die hij of zij is.";
    CreditSettings => "Credits that belong to people", "Verdienste van mensen";
    KeyPersonSetting => "Key person above this share of a relationship's live credit (%; 50 unless set)", "Sleutelpersoon boven dit deel van de levende verdienste van een relatie (%; 50 tenzij ingesteld)";
    DormantAlertSetting => "Name credits gone dormant above this many points (10 unless set)", "Meld slapende verdienste boven zoveel punten (10 tenzij ingesteld)";
    SettingsSaved => "Settings saved.", "Instellingen opgeslagen.";
    AlertsHeading => "Credits gone dormant", "Verdienste die is gaan slapen";
    AlertsExplained => "Someone left, and the credit they built with a relationship went to sleep with them. A successor can take it over.", "Iemand vertrok, en de verdienste die hij met een relatie opbouwde is met hem gaan slapen. Een opvolger kan die overnemen.";
    AlertSentence => "{left} left {organization} on {date}; {points} that {builders} built with them went dormant; nobody has taken them over.", "{left} vertrok op {date} bij {organization}; {points} die {builders} met hem of haar opbouwde zijn gaan slapen; niemand heeft ze overgenomen.";
    AlertAndOthers => "{name} and {count} more", "{name} en nog {count}";
    Dismiss => "Dismiss", "Wegklikken";
    OfferHandover => "Offer a handover", "Een overdracht aanbieden";
    OfferHandoverExplained => "What someone built before they left can be taken over by a successor on their side. It counts once the successor accepts.", "Wat iemand opbouwde voordat hij of zij vertrok, kan een opvolger aan die kant overnemen. Het telt zodra de opvolger aanvaardt.";
    OfferWhat => "What {left} built with {other}:", "Wat {left} met {other} opbouwde:";
    OfferTo => "to", "aan";
    OfferShare => "share (%)", "deel (%)";
    Offer => "Offer", "Aanbieden";
    MoreAlerts => "{count} more, listed by", "Nog {count}, te zien met";
    KeyPeopleHeading => "Carried by one person", "Gedragen door één persoon";
    KeyPeopleExplained => "Our relationships most out of balance whose live credit runs mostly through one person: if they leave, it goes to sleep.", "Onze relaties die het meest uit balans zijn en waarvan de levende verdienste vooral via één persoon loopt: als die vertrekt, gaat ze slapen.";
    KeyPersonOf => "{name} carries {share} of the live credit with {relationship}.", "{name} draagt {share} van de levende verdienste met {relationship}.";
    KeyPersonShare => "{name} ({share})", "{name} ({share})";
    HandoverOffer => "{successor} is offered {share}% of what {left} built with {other}.", "{successor} krijgt {share}% aangeboden van wat {left} met {other} opbouwde.";
    HandoverWaiting => "Waiting for {successor} to decide.", "Wacht op het besluit van {successor}.";
    AcceptHandover => "Accept", "Aanvaarden";
    DeclineHandover => "Decline", "Afwijzen";
    MemberAtOrganizationLevel => "At organization level, what {name} gives and receives counts for the organizations {name} belonged to at the time (see each relationship for {name}'s part); only what {name} did outside those organizations shows here.", "Op organisatieniveau telt wat {name} geeft en krijgt voor de organisaties waar {name} toen bij hoorde (zie bij elke relatie het deel van {name}); hier staat alleen wat {name} buiten die organisaties deed.";
    LevelSwitch => "Show at", "Toon op";
    Import => "Import", "Importeren";
    ImportCsv => "import a CSV file.", "importeer een CSV-bestand.";
    ImportExplained => "Parties, memberships, gestures or kinds, as Excel saves them. The file is checked first; it is imported all at once or not at all.", "Partijen, lidmaatschappen, gebaren of soorten, zoals Excel ze opslaat. Het bestand wordt eerst gecontroleerd; het wordt in één keer geïmporteerd of helemaal niet.";
    ImportNow => "Import now", "Nu importeren";
    Imported => "Imported.", "Geïmporteerd.";
    Importing => "Importing", "Bezig met importeren";
    InBalance => "In balance.", "In evenwicht.";
    Key => "Key", "Sleutel";
    Kind => "Kind", "Soort";
    KindSaved => "Kind {code} saved.", "Soort {code} opgeslagen.";
    KindShortcuts => "Kinds: click, or type the number in the kind field", "Soorten: klik, of typ het nummer in het veld soort";
    KindsAdded => "Kinds added or changed", "Soorten toegevoegd of gewijzigd";
    LatestGestures => "Latest gestures", "Laatste gebaren";
    DemoStories => "The stories in this demo", "De verhalen in deze demo";
    DemoStoriesExplained => "Bosman Wonen is an example firm. Each story opens the relationship that tells it.", "Bosman Wonen is een voorbeeldbedrijf. Elk verhaal opent de relatie die het vertelt.";
    StorySuccession => "The succession: Hotel De Wadden's years of credit sat with Gerrit, who retired", "De opvolging: de jaren verdienste van Hotel De Wadden zaten bij Gerrit, die met pensioen ging";
    StorySurgeon => "The oral surgeon rated 9.8: it hurt, and yet the patient felt seen", "De kaakchirurg met een 9,8: het deed pijn, en toch voelde de patiënt zich gezien";
    StoryChain => "The chain: an embroidered cushion from its maker to a grandmother, and thanks flowing back", "De keten: een geborduurd kussen van de maakster tot een oma, en dank die terugstroomt";
    StoryDelivery => "The delivery: months of attention undone by one careless afternoon", "De levering: maanden aandacht tenietgedaan door één slordige middag";
    StoryStamps => "Stamps of different worth: the same card, worth nothing to one and much to another", "Stempels van verschillende waarde: dezelfde kaart, niets waard voor de een en veel voor de ander";
    StoryBank => "The bank that closed its local helpdesk", "De bank die zijn lokale helpdesk sloot";
    StoryBowing => "Bowing too deep: a customer who presses and pays late", "Te diep buigen: een klant die drukt en laat betaalt";
    StoryPainter => "The painter: so good the customer felt in his debt after paying", "De schilder: zo goed dat de klant zich na het betalen in zijn schuld voelde";
    StoryUnseen => "A loyal customer who gives and is not seen", "Een trouwe klant die geeft en niet gezien wordt";
    LatestOnly => "Only the latest gestures are shown.", "Alleen de laatste gebaren staan hier.";
    Line => "Line", "Regel";
    LogIn => "Log in", "Inloggen";
    LogOut => "Log out", "Uitloggen";
    LoginFailed => "Unknown e-mail address or wrong password.", "Onbekend e-mailadres of verkeerd wachtwoord.";
    Memberships => "Belongs to", "Hoort bij";
    MembershipsAdded => "Memberships added or changed", "Lidmaatschappen toegevoegd of gewijzigd";
    Message => "Message", "Melding";
    Money => "Money", "Geld";
    MoreErrors => "And {count} more.", "En nog {count}.";
    MostUneven => "Most out of balance", "Het meest uit balans";
    Name => "Name", "Naam";
    Navigation => "Main", "Hoofdmenu";
    Net => "Net", "Netto";
    NextPage => "Next page", "Volgende pagina";
    No => "No", "Nee";
    NoCounterparts => "No balances yet.", "Nog geen balansen.";
    NoCreditYet => "No credit points given or received yet.", "Nog geen verdienste gegeven of ontvangen.";
    NoGesturesFound => "No gestures found.", "Geen gebaren gevonden.";
    NoGesturesThisMonth => "No gestures this month yet.", "Deze maand nog geen gebaren.";
    NoGesturesYet => "Nothing recorded yet.", "Nog niets vastgelegd.";
    NoMemberships => "Belongs to no organization.", "Hoort bij geen organisatie.";
    NoPartiesMatch => "No party matches.", "Geen partij gevonden.";
    NoPartiesYet => "No parties yet: import a parties file, or record a gesture.", "Nog geen partijen: importeer een bestand met partijen, of leg een gebaar vast.";
    NoSuchGesture => "There is no such gesture.", "Dat gebaar bestaat niet.";
    NoTokens => "No API tokens yet.", "Nog geen API-tokens.";
    NoUsExplained => "Name your own organization (an admin does, on this page) to see who gives more to whom.", "Geef aan welke organisatie de jouwe is (een beheerder doet dat, op deze pagina) om te zien wie meer geeft dan hij krijgt.";
    WhoAreWe => "Which organization are we? (name or key)", "Welke organisatie zijn wij? (naam of sleutel)";
    NoneOutOfBalance => "None: every relationship here is in balance.", "Geen: elke relatie hier is in evenwicht.";
    NotFound => "Not found", "Niet gevonden";
    Note => "Note", "Notitie";
    NoteOptional => "Note (optional)", "Notitie (optioneel)";
    Undo => "Undo", "Ongedaan maken";
    WhenOptional => "When (optional: now, or yesterday 14:30, or 2024-03-15)", "Wanneer (optioneel: nu, of gisteren 14:30, of 15-3-2024)";
    NothingYet => "Nothing given yet.", "Nog niets gegeven.";
    Older => "Older gestures", "Oudere gebaren";
    Organization => "Organization", "Organisatie";
    OrganizationLevel => "organization level", "organisatieniveau";
    OutOfBalance => "Out of balance", "Uit balans";
    PageNotFound => "There is no page here.", "Hier is geen pagina.";
    Parties => "Parties", "Partijen";
    PartiesAdded => "Parties added or changed", "Partijen toegevoegd of gewijzigd";
    PartyKind => "Kind of party", "Soort partij";
    Password => "Password", "Wachtwoord";
    PasswordOptional => "Password (optional; without one the user cannot log in)", "Wachtwoord (optioneel; zonder kan de gebruiker niet inloggen)";
    People => "Employees and contacts", "Medewerkers en contactpersonen";
    PeopleBalances => "Its people and their balances", "De mensen en hun balansen";
    PeopleBalancesExplained => "Person level: each person's largest imbalances.", "Op persoonsniveau: per persoon de relaties die het meest uit balans zijn.";
    AllCounterparts => "All {count} balances of this person", "Alle {count} balansen van deze persoon";
    OtherPeople => "The others, with their totals", "De anderen, met hun totalen";
    CounterpartsCount => "{count} in all", "{count} in totaal";
    Person => "Person", "Persoon";
    PersonLevel => "person level", "persoonsniveau";
    Receiver => "Receiver", "Ontvanger";
    RecordGesture => "Record a gesture", "Gebaar vastleggen";
    RecordHint => "Type a name or key; the list suggests parties.", "Typ een naam of sleutel; de lijst stelt partijen voor.";
    ReversalOf => "Reversal:", "Terugboeking:";
    Reverse => "Reverse", "Terugboeken";
    ReverseConfirm => "Yes, reverse this gesture", "Ja, boek dit gebaar terug";
    ReverseExplained => "A reversal is a new gesture with the opposite amount; the original stays in the ledger.", "Een terugboeking is een nieuw gebaar met het tegengestelde bedrag; het origineel blijft in het grootboek.";
    ReverseTitle => "Reverse a gesture", "Een gebaar terugboeken";
    Revoke => "Revoke", "Intrekken";
    Revoked => "Revoked", "Ingetrokken";
    Role => "Role", "Rol";
    RoleAdmin => "admin", "beheerder";
    RoleChanged => "Role of {email} changed.", "Rol van {email} gewijzigd.";
    PasswordChanged => "{email} has a new password; their sessions have ended.", "{email} heeft een nieuw wachtwoord; de sessies zijn beëindigd.";
    UserRemoved => "{email} is removed, with their tokens and sessions.", "{email} is verwijderd, met de tokens en sessies.";
    NewPassword => "New password", "Nieuw wachtwoord";
    SetPassword => "Set password", "Wachtwoord instellen";
    RemoveUser => "Remove", "Verwijderen";
    RoleRefused => "Your role does not allow this.", "Je rol staat dit niet toe.";
    RoleStaff => "staff", "medewerker";
    RoleViewer => "viewer", "lezer";
    Rows => "Rows", "Regels";
    Save => "Save", "Opslaan";
    Saved => "Saved.", "Opgeslagen.";
    ScaleDescription => "A balance scale: gave {given}, received {received}. It tilts toward the side that has given more.", "Een weegschaal: gegeven {given}, gekregen {received}. Hij helt naar de kant die meer gaf.";
    Search => "Search", "Zoeken";
    SearchParties => "Search by name or key", "Zoek op naam of sleutel";
    Share => "Share", "Aandeel";
    SkipToContent => "Skip to the content", "Naar de inhoud";
    SomethingWentWrong => "Something went wrong", "Er ging iets mis";
    Status => "Status", "Status";
    StoreFailed => "The store did not answer; nothing was saved. Try again.", "De opslag antwoordde niet; er is niets opgeslagen. Probeer het opnieuw.";
    SwitchLanguage => "Switch language", "Taal wisselen";
    Take => "take", "nemen";
    Takes => "Takes", "Nemen";
    TheyGiveMore => "They give more than they get", "Zij geven meer dan ze krijgen";
    TheyGiveMoreExplained => "At risk: they may feel unseen and leave.", "Risico: ze kunnen zich niet gezien voelen en vertrekken.";
    ThisMonth => "This month: {month}", "Deze maand: {month}";
    TimelineDescription => "Net credit points from {from} to {until}; now {net}.", "Netto verdienste van {from} tot {until}; nu {net}.";
    TokenRevoked => "The token is revoked; it stops working at once.", "Het token is ingetrokken; het werkt meteen niet meer.";
    TokenShownOnce => "The new token, shown this once. Copy it now:", "Het nieuwe token, alleen nu zichtbaar. Kopieer het nu:";
    Tokens => "API tokens", "API-tokens";
    Total => "Total", "Totaal";
    Until => "Until", "Tot";
    UploadFailed => "The upload failed", "Het uploaden mislukte";
    UploadGone => "This upload is gone; check the file again.", "Deze upload is er niet meer; controleer het bestand opnieuw.";
    Uploading => "Uploading", "Bezig met uploaden";
    User => "User", "Gebruiker";
    UserAdded => "User {email} added.", "Gebruiker {email} toegevoegd.";
    Users => "Users", "Gebruikers";
    WeGiveMore => "We give more than we get", "Wij geven meer dan we krijgen";
    WeGiveMoreExplained => "Bowing too deep: what we give is not answered.", "Te diep buigen: wat wij geven komt niet terug.";
    When => "When", "Wanneer";
    Yes => "Yes", "Ja";
}

/// The catalog's text of a ledger message.
pub fn said_text(code: balans_store::field::Code) -> T {
    use balans_store::field::Code;
    match code {
        Code::UnknownParty => T::SaidUnknownParty,
        Code::PartyDidYouMean => T::SaidPartyDidYouMean,
        Code::PartyAmbiguous => T::SaidPartyAmbiguous,
        Code::UnknownKind => T::SaidUnknownKind,
        Code::KindDidYouMean => T::SaidKindDidYouMean,
        Code::KindAmbiguous => T::SaidKindAmbiguous,
        Code::NeedsAmount => T::SaidNeedsAmount,
        Code::NegativePayment => T::SaidNegativePayment,
        Code::GivesToItself => T::SaidGivesToItself,
        Code::EmptyName => T::SaidEmptyName,
        Code::AmountUnreadable => T::SaidAmountUnreadable,
        Code::AmountAmbiguous => T::SaidAmountAmbiguous,
        Code::AmountTooPrecise => T::SaidAmountTooPrecise,
        Code::MomentUnreadable => T::SaidMomentUnreadable,
        Code::FileTypeUnknown => T::SaidFileTypeUnknown,
        Code::ColumnTwice => T::SaidColumnTwice,
        Code::ColumnsUnknown => T::SaidColumnsUnknown,
        Code::ColumnsMissing => T::SaidColumnsMissing,
        Code::FieldCount => T::SaidFieldCount,
        Code::NotUtf8 => T::SaidNotUtf8,
        Code::TooManyRows => T::SaidTooManyRows,
        Code::NotAnOrganization => T::SaidNotAnOrganization,
        Code::NotAPerson => T::SaidNotAPerson,
        Code::RoleUnknown => T::SaidRoleUnknown,
        Code::EndsBeforeStart => T::SaidEndsBeforeStart,
        Code::OrgForOrg => T::SaidOrgForOrg,
        Code::TooLong => T::SaidTooLong,
        Code::IdInUse => T::SaidIdInUse,
        Code::ReversesUnknown => T::SaidReversesUnknown,
        Code::PartyKeyTaken => T::SaidPartyKeyTaken,
        Code::KindTaken => T::SaidKindTaken,
        Code::UserTaken => T::SaidUserTaken,
        Code::LastAdmin => T::SaidLastAdmin,
        Code::NoLongerAttributable => T::SaidNoLongerAttributable,
        Code::TemporaryFile => T::SaidTemporaryFile,
        Code::HandoverShare => T::SaidHandoverShare,
        Code::HandoverNotAPerson => T::SaidHandoverNotAPerson,
        Code::HandoverNothing => T::SaidHandoverNothing,
        Code::HandoverLive => T::SaidHandoverLive,
        Code::HandoverWrongSide => T::SaidHandoverWrongSide,
        Code::HandoverAmbiguous => T::SaidHandoverAmbiguous,
        Code::HandoverDecided => T::SaidHandoverDecided,
        Code::HandoverBeforeOffer => T::SaidHandoverBeforeOffer,
        Code::HandoverLiveAgain => T::SaidHandoverLiveAgain,
        Code::HandoverBeyond => T::SaidHandoverBeyond,
        Code::HandoverNotYours => T::SaidHandoverNotYours,
        Code::HandoverTakesStaff => T::SaidHandoverTakesStaff,
        Code::HandoverWithdrawTakesStaff => T::SaidHandoverWithdrawTakesStaff,
        Code::LinkNotAPerson => T::SaidLinkNotAPerson,
        Code::LinkTaken => T::SaidLinkTaken,
        Code::SettingPercent => T::SaidSettingPercent,
        Code::SettingAmount => T::SaidSettingAmount,
        Code::AlertUnknown => T::SaidAlertUnknown,
        Code::KeyEmpty => T::SaidKeyEmpty,
        Code::KeyTooLong => T::SaidKeyTooLong,
        Code::KeyControl => T::SaidKeyControl,
        Code::IdTooLong => T::SaidIdTooLong,
        Code::IdUnusable => T::SaidIdUnusable,
        Code::StoredAsPerson => T::SaidStoredAsPerson,
        Code::StoredAsOrganization => T::SaidStoredAsOrganization,
        Code::ReversalOfReversal => T::SaidReversalOfReversal,
        Code::AlreadyReversed => T::SaidAlreadyReversed,
        Code::ReversalDiffers => T::SaidReversalDiffers,
        Code::ReversalOrganizations => T::SaidReversalOrganizations,
        Code::ReversalAmount => T::SaidReversalAmount,
        Code::UnknownGesture => T::SaidUnknownGesture,
        Code::UnknownUser => T::SaidUnknownUser,
        Code::UnknownToken => T::SaidUnknownToken,
        Code::UnknownOrganization => T::SaidUnknownOrganization,
        Code::OrganizationAmbiguous => T::SaidOrganizationAmbiguous,
        Code::EmailUnusable => T::SaidEmailUnusable,
        Code::PasswordTooShort => T::SaidPasswordTooShort,
        Code::TokenNameUnusable => T::SaidTokenNameUnusable,
        Code::ZoneUnknown => T::SaidZoneUnknown,
        Code::SameParty => T::SaidSameParty,
        Code::PromiseUnknown => T::SaidPromiseUnknown,
        Code::PromiseWasKept => T::SaidPromiseWasKept,
        Code::PromiseWasBroken => T::SaidPromiseWasBroken,
        Code::PromiseWasReleased => T::SaidPromiseWasReleased,
        Code::PromiseKeptAmount => T::SaidPromiseKeptAmount,
        Code::PromiseDueBeforeMade => T::SaidPromiseDueBeforeMade,
        Code::PromiseNeedsDue => T::SaidPromiseNeedsDue,
        Code::PromiseToItself => T::SaidPromiseToItself,
        Code::PromiseNegative => T::SaidPromiseNegative,
        Code::PromiseMoveToPast => T::SaidPromiseMoveToPast,
        Code::PromiseNeedsReason => T::SaidPromiseNeedsReason,
        Code::PromiseIdTaken => T::SaidPromiseIdTaken,
    }
}

/// The text of one of the demo's stories (`demo::STORIES`), by its code.
pub fn demo_story(code: &str) -> T {
    match code {
        "succession" => T::StorySuccession,
        "surgeon" => T::StorySurgeon,
        "chain" => T::StoryChain,
        "delivery" => T::StoryDelivery,
        "stamps" => T::StoryStamps,
        "bank" => T::StoryBank,
        "bowing" => T::StoryBowing,
        "painter" => T::StoryPainter,
        _ => T::StoryUnseen,
    }
}

/// A ledger error about one field in the reader's language: from the catalog
/// when it is there, else as the ledger says it.
pub fn said(lang: Lang, error: &balans_store::field::Error) -> String {
    said_or(lang, error.said.as_ref(), &error.message)
}

/// "No party with this key", in the reader's language.
pub fn unknown_party(lang: Lang, key: &str) -> String {
    said_or(
        lang,
        Some(&balans_core::said::Said::new(
            balans_core::said::Code::UnknownParty,
            &[("name", key)],
        )),
        "",
    )
}

/// A file's row error in the reader's language, as [`said`] says a field's.
pub fn said_row(lang: Lang, error: &balans_store::RowError) -> String {
    said_or(lang, error.said.as_ref(), &error.message)
}

pub fn said_or(lang: Lang, said: Option<&balans_core::said::Said>, english: &str) -> String {
    match said {
        None => english.to_string(),
        Some(said) => {
            let mut text = said_text(said.code).get(lang).to_string();
            for (name, value) in &said.args {
                text = text.replace(&format!("{{{name}}}"), value);
            }
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ledger_message_has_its_text_and_fills_every_placeholder() {
        use balans_store::field::{Code, Error};
        // The placeholders each code names, as `field::Code` documents them.
        let names = |code: Code| -> &'static [&'static str] {
            match code {
                Code::UnknownParty | Code::UnknownKind => &["name"],
                Code::PartyDidYouMean | Code::KindDidYouMean => &["name", "candidates"],
                Code::PartyAmbiguous | Code::KindAmbiguous => &["name", "count", "candidates"],
                Code::NeedsAmount => &["kind"],
                Code::NegativePayment => &["amount"],
                Code::GivesToItself | Code::EmptyName => &[],
                Code::AmountUnreadable | Code::AmountTooPrecise | Code::MomentUnreadable => {
                    &["text"]
                }
                Code::AmountAmbiguous => &["text", "thousands", "decimal"],
                Code::FileTypeUnknown => &["header"],
                Code::ColumnTwice => &["column"],
                Code::ColumnsUnknown => &["columns", "expected"],
                Code::ColumnsMissing => &["columns"],
                Code::FieldCount => &["found", "expected", "delimiter"],
                Code::NotUtf8 => &[],
                Code::TooManyRows | Code::TooLong => &["max"],
                Code::NotAnOrganization | Code::NotAPerson => &["name"],
                Code::RoleUnknown => &["text"],
                Code::EndsBeforeStart | Code::OrgForOrg => &[],
                Code::IdInUse | Code::ReversesUnknown => &["id"],
                Code::PartyKeyTaken => &["key"],
                Code::KindTaken => &["code"],
                Code::UserTaken | Code::LastAdmin => &["email"],
                Code::NoLongerAttributable => &["gesture"],
                Code::TemporaryFile => &["error"],
                Code::HandoverShare => &["share"],
                Code::HandoverNotAPerson => &["name"],
                Code::HandoverNothing => &["a", "b"],
                Code::HandoverLive => &["a", "b"],
                Code::HandoverWrongSide => &["successor", "a", "b"],
                Code::HandoverAmbiguous => &["successor", "a", "b"],
                Code::HandoverDecided => &["id"],
                Code::HandoverBeforeOffer => &["id"],
                Code::HandoverLiveAgain => &["id", "name"],
                Code::HandoverBeyond => &["id", "taken", "share"],
                Code::HandoverNotYours => &["name", "id"],
                Code::HandoverTakesStaff => &["name", "id"],
                Code::HandoverWithdrawTakesStaff => &["id"],
                Code::LinkNotAPerson => &["name"],
                Code::LinkTaken => &["name", "email"],
                Code::SettingPercent | Code::SettingAmount => &["value"],
                Code::AlertUnknown => &["id"],
                Code::KeyEmpty => &[],
                Code::KeyTooLong => &["max"],
                Code::KeyControl => &["text"],
                Code::IdTooLong => &["max"],
                Code::IdUnusable => &["text"],
                Code::StoredAsPerson | Code::StoredAsOrganization => &["key"],
                Code::ReversalOfReversal => &["id"],
                Code::AlreadyReversed => &["id", "by"],
                Code::ReversalDiffers => &["gesture"],
                Code::ReversalOrganizations => &[],
                Code::ReversalAmount => &["amount"],
                Code::UnknownGesture => &["id"],
                Code::UnknownUser => &["email"],
                Code::UnknownToken => &["id"],
                Code::UnknownOrganization => &["name"],
                Code::OrganizationAmbiguous => &["name", "count", "candidates"],
                Code::EmailUnusable => &["text"],
                Code::PasswordTooShort => &["min"],
                Code::TokenNameUnusable => &[],
                Code::ZoneUnknown => &["name"],
                Code::SameParty => &[],
                Code::PromiseUnknown => &["id"],
                Code::PromiseWasKept => &["id", "when", "gesture"],
                Code::PromiseWasBroken => &["id", "when", "gesture"],
                Code::PromiseWasReleased => &["id", "when", "reason"],
                Code::PromiseKeptAmount => &["amount", "promised"],
                Code::PromiseDueBeforeMade => &["due", "made"],
                Code::PromiseNeedsDue | Code::PromiseToItself => &[],
                Code::PromiseNegative => &["amount"],
                Code::PromiseMoveToPast => &["due"],
                Code::PromiseNeedsReason => &[],
                Code::PromiseIdTaken => &["id"],
            }
        };
        for &code in Code::ALL {
            let args: Vec<(&'static str, &str)> =
                names(code).iter().map(|n| (*n, "VALUE")).collect();
            let error = Error::new("x", "english").said(code, &args);
            for lang in [Lang::En, Lang::Nl] {
                let text = said(lang, &error);
                assert!(
                    !text.contains('{'),
                    "{code:?} in {lang:?} leaves a placeholder: {text}"
                );
                assert_eq!(
                    text.matches("VALUE").count(),
                    names(code).len(),
                    "{code:?} in {lang:?}: {text}"
                );
            }
        }
    }

    #[test]
    fn every_demo_story_has_a_text_of_its_own() {
        let texts: std::collections::HashSet<&str> = balans_store::demo::STORIES
            .iter()
            .map(|story| demo_story(story.code).get(Lang::En))
            .collect();
        assert_eq!(texts.len(), balans_store::demo::STORIES.len());
    }

    #[test]
    fn every_text_exists_in_both_languages_and_differs_where_it_should() {
        for text in T::ALL {
            for lang in [Lang::En, Lang::Nl] {
                assert!(
                    !text.get(lang).trim().is_empty(),
                    "{text:?} is empty in {lang:?}"
                );
            }
            // Placeholders must be the same in both languages.
            let holes = |s: &str| {
                let mut found: Vec<String> = s
                    .split('{')
                    .skip(1)
                    .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
                    .collect();
                found.sort();
                found
            };
            assert_eq!(
                holes(text.get(Lang::En)),
                holes(text.get(Lang::Nl)),
                "{text:?}"
            );
        }
    }
}

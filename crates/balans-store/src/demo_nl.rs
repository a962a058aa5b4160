//! The demo's notes in Dutch: Bosman Wonen is a Dutch firm, and writes them so.
//! Each entry is the English note and its Dutch text; names stay as they are.

/// The Dutch text of an English demo note, or the note itself.
pub(crate) fn dutch(note: &str) -> &str {
    NOTES
        .iter()
        .find(|(en, _)| *en == note)
        .map_or(note, |(_, nl)| nl)
}

const NOTES: &[(&str, &str)] = &[
    (
        "Call back about the curtain fabric",
        "Terugbellen over de gordijnstof",
    ),
    (
        "Invoice 2026-212: the payment will come",
        "Factuur 2026-212: de betaling komt eraan",
    ),
    (
        "New sofa delivered by the 12th",
        "Nieuwe bank geleverd vóór de 12e",
    ),
    (
        "Visit to measure the new rooms",
        "Langskomen om de nieuwe kamers op te meten",
    ),
    (
        "We will call you back about the credit line",
        "We bellen u terug over de kredietlijn",
    ),
    (
        "'They were better than we deserved'",
        "'Ze waren beter dan we verdienden'",
    ),
    (
        "A bottle of wine at New Year",
        "Een fles wijn met nieuwjaar",
    ),
    (
        "A careful proposal for the renovation",
        "Een zorgvuldige offerte voor de verbouwing",
    ),
    (
        "A drawing: 'thank you for helping mama'",
        "Een tekening: 'dank je wel dat je mama hielp'",
    ),
    (
        "A letter and a photo of the cushion's new home",
        "Een brief en een foto van het nieuwe thuis van het kussen",
    ),
    ("Account fees", "Rekeningkosten"),
    (
        "Arranged the bridging loan quickly",
        "Regelde het overbruggingskrediet snel",
    ),
    (
        "Assembled everything after closing time",
        "Alles na sluitingstijd in elkaar gezet",
    ),
    ("Business account", "Zakelijke rekening"),
    ("Busy with a new customer", "Druk met een nieuwe klant"),
    (
        "Call centre; nobody knew our file",
        "Callcenter; niemand kende ons dossier",
    ),
    (
        "Came by on Sunday to fix a wardrobe door",
        "Kwam op zondag een kastdeur repareren",
    ),
    (
        "Came four hours late without calling",
        "Kwam vier uur te laat zonder te bellen",
    ),
    (
        "Came out in the evening when the bleeding would not stop",
        "Kwam 's avonds toen het bloeden niet stopte",
    ),
    (
        "Carried the old sofa down three floors",
        "Droeg de oude sofa drie trappen af",
    ),
    ("Chose the colours with them", "Koos samen de kleuren uit"),
    ("Coffee and a cake", "Koffie met taart"),
    (
        "Coffee at the hotel, asked after the family",
        "Koffie in het hotel, vroeg naar de familie",
    ),
    ("Customer", "Klant"),
    (
        "Account manager for the offices until mid 2025",
        "Accountmanager voor de kantoren tot medio 2025",
    ),
    ("Customer for 15 years", "Al 15 jaar klant"),
    ("Customer since 2009", "Klant sinds 2009"),
    (
        "Delivered on a Saturday at his request",
        "Op zaterdag geleverd, op zijn verzoek",
    ),
    ("Delivery", "Bezorging"),
    (
        "Did not grumble about the late delivery",
        "Mopperde niet over de late levering",
    ),
    ("Director", "Directeur"),
    ("Dining table and six chairs", "Eettafel met zes stoelen"),
    (
        "Dropped by; knew the business",
        "Kwam langs; kende het bedrijf",
    ),
    ("Embroidered by hand", "Met de hand geborduurd"),
    (
        "Embroiders; works from home with a disability",
        "Borduurt; werkt thuis, met een beperking",
    ),
    ("Eva's grandmother", "Oma van Eva"),
    (
        "Explained every step, and why it would hurt",
        "Legde elke stap uit, en waarom het pijn zou doen",
    ),
    (
        "Family firm in furniture, interiors and painting",
        "Familiebedrijf in meubels, interieur en schilderwerk",
    ),
    (
        "Farewell: thanks for twenty years",
        "Afscheid: bedankt voor twintig jaar",
    ),
    (
        "Five stars for the showroom",
        "Vijf sterren voor de showroom",
    ),
    (
        "Football cards: worth nothing to her",
        "Voetbalplaatjes: voor haar niets waard",
    ),
    ("For her 80th birthday", "Voor haar 80e verjaardag"),
    (
        "Foundation; sells in the Netherlands",
        "Stichting; verkoopt in Nederland",
    ),
    (
        "Founder; account manager for the hotels",
        "Oprichter; accountmanager voor de hotels",
    ),
    ("Furnishing rental flats", "Richt huurappartementen in"),
    ("Furnishing rooms", "Kamers inrichten"),
    (
        "Gerrit's son; runs the hotel from July 2025",
        "Zoon van Gerrit; leidt het hotel sinds juli 2025",
    ),
    ("Grandma loved the story", "Oma vond het verhaal prachtig"),
    (
        "Henk's son; writes the proposals",
        "Zoon van Henk; schrijft de offertes",
    ),
    (
        "Hung the drawing in the treatment room",
        "Hing de tekening op in de behandelkamer",
    ),
    (
        "Local business adviser until the helpdesk closed",
        "Lokale bedrijfsadviseur tot de helpdesk sloot",
    ),
    (
        "Moved the piano, and back",
        "Verhuisde de piano, en weer terug",
    ),
    ("Oral surgeon", "Kaakchirurg"),
    (
        "Oral surgery practice; we furnished the waiting room",
        "Kaakchirurgiepraktijk; wij richtten de wachtkamer in",
    ),
    ("Our bank", "Onze bank"),
    (
        "Owner of Hotel De Wadden until mid 2025",
        "Eigenaar van Hotel De Wadden tot half 2025",
    ),
    (
        "Paid after the second reminder",
        "Betaalde na de tweede herinnering",
    ),
    ("Painter", "Schilder"),
    ("Patient", "Patiënt"),
    (
        "Painting the house, inside and out",
        "Het huis schilderen, binnen en buiten",
    ),
    (
        "Partner abroad; buys from makers",
        "Partner in het buitenland; koopt bij makers",
    ),
    (
        "Passed on the customer's thanks",
        "Gaf de dank van de klant door",
    ),
    (
        "Personal invitation to the showroom evening",
        "Persoonlijke uitnodiging voor de showroomavond",
    ),
    (
        "Plush toy for his son: worth much to him",
        "Knuffel voor zijn zoon: voor hem veel waard",
    ),
    ("Property manager", "Vastgoedbeheerder"),
    (
        "Pushed for a decision that day",
        "Drong aan op een besluit die dag",
    ),
    ("Rated 9.8", "Gaf een 9,8"),
    (
        "Read the card about Amina twice",
        "Las het kaartje over Amina twee keer",
    ),
    (
        "Recommended us before the delivery went wrong",
        "Raadde ons aan voordat de levering misging",
    ),
    (
        "Recommended us to the hotel next door",
        "Raadde ons aan bij het hotel ernaast",
    ),
    (
        "Repaired rotten window frames unasked",
        "Repareerde rotte kozijnen zonder dat het gevraagd was",
    ),
    (
        "Rush delivery before the season",
        "Spoedlevering voor het seizoen",
    ),
    ("Sanne's daughter, 7", "Dochter van Sanne, 7"),
    ("Sent a friend", "Stuurde een vriendin"),
    ("Sent his brother", "Stuurde zijn broer"),
    ("Sent the neighbours", "Stuurde de buren"),
    ("Shop; runs the stamp card", "Winkel; heeft de stempelkaart"),
    ("Small purchase", "Kleine aankoop"),
    ("Sofa", "Zitbank"),
    ("Stamp card customer", "Klant met stempelkaart"),
    (
        "Table top scratched; chairs left in the hall",
        "Tafelblad bekrast; stoelen in de gang laten staan",
    ),
    (
        "Thanked her for the evening call-out",
        "Bedankte haar voor de avondvisite",
    ),
    (
        "The contract went to another supplier",
        "Het contract ging naar een andere leverancier",
    ),
    ("Tickets for the football", "Kaartjes voor het voetbal"),
    (
        "Told her who made it and gave her the story card",
        "Vertelde wie het maakte en gaf haar het verhaalkaartje",
    ),
    ("Took her fear seriously", "Nam haar angst serieus"),
    ("Waiting room furniture", "Wachtkamermeubilair"),
    (
        "Walked in on price without reading Joris's proposal",
        "Kwam binnen op prijs zonder de offerte van Joris te lezen",
    ),
    ("Wanted another discount", "Wilde nog meer korting"),
    ("Wisdom teeth removed", "Verstandskiezen getrokken"),
    (
        "With a story card about the maker",
        "Met een verhaalkaartje over de maker",
    ),
];

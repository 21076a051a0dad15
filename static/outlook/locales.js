/* InviteGuard Outlook add-in: the add-in's own words (the banner itself comes from the service).
 * Loaded as a plain script (task pane, function page, classic-Windows JS runtime) and under Node
 * (module.exports). Keep the report categories in the order of the manifest's ReportingOptions. */
(function (root, factory) {
  "use strict";
  const api = factory();
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.InviteGuardOutlookStrings = api;
  }
})(typeof globalThis !== "undefined" ? globalThis : this, function () {
  "use strict";

  const STRINGS = {
    en: {
      appName: "InviteGuard",
      checking: "Checking this message…",
      noItem: "Select a message to check it.",
      unavailable:
        "InviteGuard couldn't check this message right now. Be careful with requests to call, pay or sign in.",
      unavailableTitle: "Check not available",
      tryAgain: "Try again",
      reasonsHeading: "Why InviteGuard warns you",
      moreReasons: "Show {count} more reasons",
      cleanTitle: "No known scam signs found",
      cleanText: "InviteGuard found nothing suspicious. If something still feels wrong, report it.",
      notificationPhishing: "InviteGuard: this message looks like a scam. Open InviteGuard for details.",
      notificationSuspicious: "InviteGuard: parts of this message look suspicious. Open InviteGuard for details.",
      reportHeading: "Report this message",
      reportCategoryLabel: "What is wrong with it?",
      categories: {
        callback: "It asks me to call a phone number",
        phishing: "It asks for a password, payment or a link click",
        invoice: "A purchase, invoice or charge I don't recognise",
        spam: "Unwanted advertising (spam)",
        other: "Something else looks wrong",
      },
      reportCommentLabel: "Anything else we should know? (optional)",
      reportButton: "Report to security",
      reportSending: "Sending your report…",
      reportRetrying: "Couldn't reach InviteGuard — trying again ({attempt} of {total})…",
      reportDialogTitle: "InviteGuard",
      reportThanks: "Thanks — our security team has it.",
      reportSimulation: "Well spotted — this was a training exercise.",
      reportFailed:
        "Your report could not be sent, so the message was left where it is. Please try again in a few minutes.",
      reportFailedPane: "Your report could not be sent. Please try again in a few minutes.",
      reportReduced: "The message was too large to send whole, so a reduced copy (its headers and text) was sent.",
      weakerCheck:
        "On this Outlook the add-in can read only the message text and a few fields, not its headers, so the check is weaker here.",
    },
    de: {
      appName: "InviteGuard",
      checking: "Nachricht wird geprüft …",
      noItem: "Wählen Sie eine Nachricht aus, um sie zu prüfen.",
      unavailable:
        "InviteGuard konnte diese Nachricht gerade nicht prüfen. Vorsicht bei Aufforderungen anzurufen, zu zahlen oder sich anzumelden.",
      unavailableTitle: "Prüfung nicht möglich",
      tryAgain: "Erneut versuchen",
      reasonsHeading: "Warum InviteGuard warnt",
      moreReasons: "{count} weitere Gründe anzeigen",
      cleanTitle: "Keine bekannten Betrugsmerkmale gefunden",
      cleanText: "InviteGuard hat nichts Verdächtiges gefunden. Wenn Ihnen dennoch etwas seltsam vorkommt, melden Sie es.",
      notificationPhishing: "InviteGuard: Diese Nachricht sieht nach Betrug aus. Details in InviteGuard.",
      notificationSuspicious: "InviteGuard: Teile dieser Nachricht wirken verdächtig. Details in InviteGuard.",
      reportHeading: "Diese Nachricht melden",
      reportCategoryLabel: "Was stimmt nicht damit?",
      categories: {
        callback: "Ich soll eine Telefonnummer anrufen",
        phishing: "Es will ein Passwort, eine Zahlung oder einen Klick",
        invoice: "Ein Kauf, eine Rechnung oder Abbuchung, die ich nicht kenne",
        spam: "Unerwünschte Werbung (Spam)",
        other: "Etwas anderes ist verdächtig",
      },
      reportCommentLabel: "Möchten Sie noch etwas ergänzen? (optional)",
      reportButton: "An Sicherheitsteam melden",
      reportSending: "Meldung wird gesendet …",
      reportRetrying: "InviteGuard nicht erreichbar – neuer Versuch ({attempt} von {total}) …",
      reportDialogTitle: "InviteGuard",
      reportThanks: "Danke – unser Sicherheitsteam kümmert sich darum.",
      reportSimulation: "Gut erkannt – das war eine Übung.",
      reportFailed:
        "Ihre Meldung konnte nicht gesendet werden; die Nachricht bleibt, wo sie ist. Bitte versuchen Sie es in ein paar Minuten erneut.",
      reportFailedPane: "Ihre Meldung konnte nicht gesendet werden. Bitte versuchen Sie es in ein paar Minuten erneut.",
      reportReduced: "Die Nachricht war zu groß, um sie ganz zu senden; gesendet wurde eine gekürzte Kopie (Kopfzeilen und Text).",
      weakerCheck:
        "In diesem Outlook kann das Add-in nur den Text und wenige Felder der Nachricht lesen, nicht ihre Kopfzeilen; die Prüfung ist hier schwächer.",
    },
    fr: {
      appName: "InviteGuard",
      checking: "Vérification du message…",
      noItem: "Sélectionnez un message pour le vérifier.",
      unavailable:
        "InviteGuard n’a pas pu vérifier ce message pour l’instant. Méfiez-vous des demandes d’appel, de paiement ou de connexion.",
      unavailableTitle: "Vérification indisponible",
      tryAgain: "Réessayer",
      reasonsHeading: "Pourquoi InviteGuard vous avertit",
      moreReasons: "Afficher {count} autres raisons",
      cleanTitle: "Aucun signe d’escroquerie connu",
      cleanText: "InviteGuard n’a rien trouvé de suspect. Si quelque chose vous semble anormal, signalez-le.",
      notificationPhishing: "InviteGuard : ce message ressemble à une escroquerie. Détails dans InviteGuard.",
      notificationSuspicious: "InviteGuard : certains éléments de ce message sont suspects. Détails dans InviteGuard.",
      reportHeading: "Signaler ce message",
      reportCategoryLabel: "Quel est le problème ?",
      categories: {
        callback: "On me demande d’appeler un numéro",
        phishing: "On me demande un mot de passe, un paiement ou un clic",
        invoice: "Un achat, une facture ou un débit que je ne reconnais pas",
        spam: "Publicité non sollicitée (spam)",
        other: "Autre chose semble suspect",
      },
      reportCommentLabel: "Autre chose à nous signaler ? (facultatif)",
      reportButton: "Signaler à la sécurité",
      reportSending: "Envoi du signalement…",
      reportRetrying: "InviteGuard injoignable — nouvelle tentative ({attempt} sur {total})…",
      reportDialogTitle: "InviteGuard",
      reportThanks: "Merci — notre équipe de sécurité s’en occupe.",
      reportSimulation: "Bien vu — c’était un exercice.",
      reportFailed:
        "Votre signalement n’a pas pu être envoyé ; le message n’a pas été déplacé. Réessayez dans quelques minutes.",
      reportFailedPane: "Votre signalement n’a pas pu être envoyé. Réessayez dans quelques minutes.",
      reportReduced: "Le message était trop volumineux pour être envoyé en entier : une copie réduite (en-têtes et texte) a été envoyée.",
      weakerCheck:
        "Dans cet Outlook, le complément ne peut lire que le texte et quelques champs du message, pas ses en-têtes : la vérification y est moins fiable.",
    },
    es: {
      appName: "InviteGuard",
      checking: "Comprobando este mensaje…",
      noItem: "Seleccione un mensaje para comprobarlo.",
      unavailable:
        "InviteGuard no ha podido comprobar este mensaje ahora. Desconfíe de peticiones para llamar, pagar o iniciar sesión.",
      unavailableTitle: "Comprobación no disponible",
      tryAgain: "Reintentar",
      reasonsHeading: "Por qué avisa InviteGuard",
      moreReasons: "Mostrar {count} motivos más",
      cleanTitle: "No se han encontrado señales de estafa conocidas",
      cleanText: "InviteGuard no ha encontrado nada sospechoso. Si algo le sigue pareciendo raro, notifíquelo.",
      notificationPhishing: "InviteGuard: este mensaje parece una estafa. Detalles en InviteGuard.",
      notificationSuspicious: "InviteGuard: partes de este mensaje parecen sospechosas. Detalles en InviteGuard.",
      reportHeading: "Notificar este mensaje",
      reportCategoryLabel: "¿Qué tiene de sospechoso?",
      categories: {
        callback: "Me pide llamar a un número de teléfono",
        phishing: "Pide una contraseña, un pago o hacer clic en un enlace",
        invoice: "Una compra, factura o cargo que no reconozco",
        spam: "Publicidad no deseada (spam)",
        other: "Otra cosa parece sospechosa",
      },
      reportCommentLabel: "¿Algo más que debamos saber? (opcional)",
      reportButton: "Notificar a seguridad",
      reportSending: "Enviando la notificación…",
      reportRetrying: "No se pudo contactar con InviteGuard: reintentando ({attempt} de {total})…",
      reportDialogTitle: "InviteGuard",
      reportThanks: "Gracias: nuestro equipo de seguridad ya lo tiene.",
      reportSimulation: "Bien visto: era un ejercicio de formación.",
      reportFailed:
        "No se pudo enviar su notificación y el mensaje no se ha movido. Vuelva a intentarlo en unos minutos.",
      reportFailedPane: "No se pudo enviar su notificación. Vuelva a intentarlo en unos minutos.",
      reportReduced: "El mensaje era demasiado grande para enviarlo entero, así que se envió una copia reducida (encabezados y texto).",
      weakerCheck:
        "En este Outlook el complemento solo puede leer el texto y algunos campos del mensaje, no sus encabezados, así que la comprobación es más débil.",
    },
  };

  /** de-AT -> de -> en */
  function languageOf(locale) {
    const lang = String(locale || "").toLowerCase().split(/[-_]/)[0];
    return Object.prototype.hasOwnProperty.call(STRINGS, lang) ? lang : "en";
  }

  function stringsFor(locale) {
    return STRINGS[languageOf(locale)];
  }

  /** Fills {name} placeholders; values are ours (numbers), never message text. */
  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, (match, name) =>
      Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match,
    );
  }

  return { STRINGS, languageOf, stringsFor, format };
});

<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr" sourcelanguage="en">
<context>
    <name>AddressDialog</name>
    <message>
        <source>Connect to address — ovhkvm-desktop</source>
        <translation>Se connecter à une adresse — ovhkvm-desktop</translation>
    </message>
    <message>
        <source>The address of a VNC console:</source>
        <translation>L&apos;adresse d&apos;une console VNC :</translation>
    </message>
    <message>
        <source>vnc://host:5900, wss://host/path or a noVNC page URL</source>
        <translation>vnc://hôte:5900, wss://hôte/chemin ou l&apos;URL d&apos;une page noVNC</translation>
    </message>
    <message>
        <source>A password goes in the address (vnc://:PASSWORD@host); it is not remembered.</source>
        <translation>Un mot de passe se met dans l&apos;adresse (vnc://:MOT_DE_PASSE@hôte) ; il n&apos;est pas conservé.</translation>
    </message>
    <message>
        <source>Connect</source>
        <translation>Se connecter</translation>
    </message>
    <message>
        <source>Type the address of a console, e.g. vnc://192.0.2.1:5900</source>
        <translation>Saisissez l&apos;adresse d&apos;une console, par exemple vnc://192.0.2.1:5900</translation>
    </message>
</context>
<context>
    <name>Background</name>
    <message>
        <source>log in again (Add account…, with the same profile name)</source>
        <translation>reconnectez-vous (Ajouter un compte…, avec le même nom de profil)</translation>
    </message>
    <message>
        <source>{error}: {remedy}</source>
        <translation>{error} : {remedy}</translation>
    </message>
    <message>
        <source>Unexpected error ({kind}: {error})</source>
        <translation>Erreur inattendue ({kind} : {error})</translation>
    </message>
</context>
<context>
    <name>ConnectionOverlay</name>
    <message>
        <source>Reconnect now</source>
        <translation>Se reconnecter maintenant</translation>
    </message>
    <message>
        <source>Stop trying</source>
        <translation>Arrêter les tentatives</translation>
    </message>
    <message>
        <source>Close window</source>
        <translation>Fermer la fenêtre</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Connexion…</translation>
    </message>
    <message>
        <source>Connection lost</source>
        <translation>Connexion perdue</translation>
    </message>
    <message>
        <source>Cannot connect</source>
        <translation>Connexion impossible</translation>
    </message>
    <message>
        <source>the connection ended</source>
        <translation>la connexion s&apos;est terminée</translation>
    </message>
    <message>
        <source>Not reconnecting.</source>
        <translation>Pas de nouvelle tentative.</translation>
    </message>
    <message>
        <source>Press Reconnect to try again.</source>
        <translation>Cliquez sur Se reconnecter pour réessayer.</translation>
    </message>
    <message>
        <source>Reconnect</source>
        <translation>Se reconnecter</translation>
    </message>
    <message>
        <source>Reconnecting in {seconds:.0f} s…</source>
        <translation>Nouvelle tentative dans {seconds:.0f} s…</translation>
    </message>
    <message>
        <source>Reconnecting…</source>
        <translation>Reconnexion…</translation>
    </message>
</context>
<context>
    <name>ConsoleWindow</name>
    <message>
        <source>Translate (type what you mean)</source>
        <translation>Traduire (ce que vous tapez)</translation>
    </message>
    <message>
        <source>Physical (key positions)</source>
        <translation>Physique (position des touches)</translation>
    </message>
    <message>
        <source>Keysym (Xvnc, x11vnc)</source>
        <translation>Keysym (Xvnc, x11vnc)</translation>
    </message>
    <message>
        <source>Unknown: type only what any guest types the same</source>
        <translation>Inconnu : ne taper que ce que tout invité tape de la même façon</translation>
    </message>
    <message>
        <source>Linux text console (login prompt, rescue shell)</source>
        <translation>Console texte Linux (invite de connexion, shell du mode rescue)</translation>
    </message>
    <message>
        <source>Linux desktop (X11, Wayland)</source>
        <translation>Bureau Linux (X11, Wayland)</translation>
    </message>
    <message>
        <source>translate</source>
        <translation>traduire</translation>
    </message>
    <message>
        <source>physical</source>
        <translation>physique</translation>
    </message>
    <message>
        <source>keysym</source>
        <translation>keysym</translation>
    </message>
    <message>
        <source>unknown guest</source>
        <translation>invité inconnu</translation>
    </message>
    <message>
        <source>console</source>
        <translation>console</translation>
    </message>
    <message>
        <source>desktop</source>
        <translation>bureau</translation>
    </message>
    <message>
        <source>Fit to window</source>
        <translation>Ajuster à la fenêtre</translation>
    </message>
    <message>
        <source>Actual size</source>
        <translation>Taille réelle</translation>
    </message>
    <message>
        <source>Resize the remote screen</source>
        <translation>Redimensionner l&apos;écran distant</translation>
    </message>
    <message>
        <source>Send keys</source>
        <translation>Envoyer des touches</translation>
    </message>
    <message>
        <source>Ctrl+Alt+F1…F12</source>
        <translation>Ctrl+Alt+F1…F12</translation>
    </message>
    <message>
        <source>Alt+SysRq (magic SysRq)</source>
        <translation>Alt+SysRq (touches magiques SysRq)</translation>
    </message>
    <message>
        <source>Hold {key}</source>
        <translation>Maintenir {key}</translation>
    </message>
    <message>
        <source>Type text…</source>
        <translation>Taper du texte…</translation>
    </message>
    <message>
        <source>Paste as keystrokes…</source>
        <translation>Coller en frappes clavier…</translation>
    </message>
    <message>
        <source>Full screen</source>
        <translation>Plein écran</translation>
    </message>
    <message>
        <source>View only</source>
        <translation>Lecture seule</translation>
    </message>
    <message>
        <source>Send my clipboard to this server</source>
        <translation>Envoyer mon presse-papiers à ce serveur</translation>
    </message>
    <message>
        <source>While this window is active, what you copy goes to the server&apos;s clipboard</source>
        <translation>Tant que cette fenêtre est active, ce que vous copiez part dans le presse-papiers du serveur</translation>
    </message>
    <message>
        <source>Take this server&apos;s clipboard automatically</source>
        <translation>Récupérer automatiquement le presse-papiers de ce serveur</translation>
    </message>
    <message>
        <source>While this window is active, what the server copies replaces your clipboard</source>
        <translation>Tant que cette fenêtre est active, ce que le serveur copie remplace votre presse-papiers</translation>
    </message>
    <message>
        <source>Copy the server&apos;s clipboard</source>
        <translation>Copier le presse-papiers du serveur</translation>
    </message>
    <message>
        <source>Copy screen text</source>
        <translation>Copier le texte de l&apos;écran</translation>
    </message>
    <message>
        <source>Put the text on the console&apos;s screen on your clipboard</source>
        <translation>Mettre le texte affiché par la console dans votre presse-papiers</translation>
    </message>
    <message>
        <source>Select text to copy</source>
        <translation>Sélectionner du texte à copier</translation>
    </message>
    <message>
        <source>Drag a rectangle over the console: its text goes to your clipboard (Escape cancels; Ctrl+Shift+drag does it at any time)</source>
        <translation>Tracez un rectangle sur la console : son texte va dans votre presse-papiers (Échap annule ; Ctrl+Maj+glisser le fait à tout moment)</translation>
    </message>
    <message>
        <source>Save screenshot…</source>
        <translation>Enregistrer une capture d&apos;écran…</translation>
    </message>
    <message>
        <source>Copy screenshot to clipboard</source>
        <translation>Copier une capture d&apos;écran dans le presse-papiers</translation>
    </message>
    <message>
        <source>Release pointer</source>
        <translation>Libérer le pointeur</translation>
    </message>
    <message>
        <source>Reconnect</source>
        <translation>Se reconnecter</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Fermer</translation>
    </message>
    <message>
        <source>Console</source>
        <translation>Console</translation>
    </message>
    <message>
        <source>Guest keyboard layout</source>
        <translation>Disposition du clavier invité</translation>
    </message>
    <message>
        <source>Guest system</source>
        <translation>Système invité</translation>
    </message>
    <message>
        <source>How accented letters are typed: a text console and a desktop differ</source>
        <translation>Comment les lettres accentuées sont tapées : une console texte et un bureau graphique diffèrent</translation>
    </message>
    <message>
        <source>Keyboard mode</source>
        <translation>Mode du clavier</translation>
    </message>
    <message>
        <source>Scaling</source>
        <translation>Mise à l&apos;échelle</translation>
    </message>
    <message>
        <source>The guest&apos;s keyboard layout (what the server&apos;s system uses)</source>
        <translation>La disposition du clavier de l&apos;invité (celle qu&apos;utilise le système du serveur)</translation>
    </message>
    <message>
        <source> Guest layout </source>
        <translation> Clavier invité </translation>
    </message>
    <message>
        <source>Menu ({key})</source>
        <translation>Menu ({key})</translation>
    </message>
    <message>
        <source>–</source>
        <translation>–</translation>
    </message>
    <message>
        <source>0 fps</source>
        <translation>0 img/s</translation>
    </message>
    <message>
        <source>0 kB/s</source>
        <translation>0 ko/s</translation>
    </message>
    <message>
        <source>RTT –</source>
        <translation>RTT –</translation>
    </message>
    <message>
        <source>Caps</source>
        <translation>Verr. Maj</translation>
    </message>
    <message>
        <source>Num</source>
        <translation>Verr. Num</translation>
    </message>
    <message>
        <source>Unencrypted</source>
        <translation>Non chiffré</translation>
    </message>
    <message>
        <source>This console is plain VNC, without TLS: what you type (passwords too) crosses the network unencrypted</source>
        <translation>Cette console est en VNC simple, sans TLS : ce que vous tapez (mots de passe compris) traverse le réseau en clair</translation>
    </message>
    <message>
        <source>Menu</source>
        <translation>Menu</translation>
    </message>
    <message>
        <source>Leave full screen</source>
        <translation>Quitter le plein écran</translation>
    </message>
    <message>
        <source>{title} — unencrypted console</source>
        <translation>{title} — console non chiffrée</translation>
    </message>
    <message>
        <source>The server copied a text: Console ▸ Copy the server&apos;s clipboard</source>
        <translation>Le serveur a copié un texte : Console ▸ Copier le presse-papiers du serveur</translation>
    </message>
    <message>
        <source>The server&apos;s clipboard is on your clipboard</source>
        <translation>Le presse-papiers du serveur est dans votre presse-papiers</translation>
    </message>
    <message>
        <source>The server kept its screen size ({reason})</source>
        <translation>Le serveur a gardé sa taille d&apos;écran ({reason})</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Connexion…</translation>
    </message>
    <message>
        <source>Connected</source>
        <translation>Connecté</translation>
    </message>
    <message>
        <source>Disconnected</source>
        <translation>Déconnecté</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>Fermée</translation>
    </message>
    <message>
        <source>Disconnected: {reason}</source>
        <translation>Déconnecté : {reason}</translation>
    </message>
    <message>
        <source>Cannot type {characters} with the {layout} layout on an unknown guest system: choose it in Console ▸ Guest system</source>
        <translation>Impossible de taper {characters} avec la disposition {layout} sur un système invité inconnu : choisissez-le dans Console ▸ Système invité</translation>
    </message>
    <message>
        <source>Cannot type {characters} with the {layout} layout</source>
        <translation>Impossible de taper {characters} avec la disposition {layout}</translation>
    </message>
    <message>
        <source>Not remembered: {reason}</source>
        <translation>Non mémorisé : {reason}</translation>
    </message>
    <message>
        <source>Guest layout {layout}, keyboard mode {mode}, guest system: {guest}</source>
        <translation>Clavier invité {layout}, mode du clavier {mode}, système invité : {guest}</translation>
    </message>
    <message>
        <source>Save screenshot</source>
        <translation>Enregistrer la capture d&apos;écran</translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation>Images PNG (*.png)</translation>
    </message>
    <message>
        <source>Could not write {path}</source>
        <translation>Impossible d&apos;écrire {path}</translation>
    </message>
    <message>
        <source>Saved {path}</source>
        <translation>{path} enregistré</translation>
    </message>
    <message>
        <source>Screenshot copied to the clipboard</source>
        <translation>Capture d&apos;écran copiée dans le presse-papiers</translation>
    </message>
    <message>
        <source>RTT {ms} ms</source>
        <translation>RTT {ms} ms</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>OVHcloud US</source>
        <translation>OVHcloud États-Unis</translation>
    </message>
    <message>
        <source>No browser could be started: open the link above.</source>
        <translation>Aucun navigateur n&apos;a pu être lancé : ouvrez le lien ci-dessus.</translation>
    </message>
    <message>
        <source>Logged in: profile {profile} on {endpoint}; secrets in the keyring ({keyring}).</source>
        <translation>Connecté : profil {profile} sur {endpoint} ; secrets dans le trousseau ({keyring}).</translation>
    </message>
    <message>
        <source>Logged in: profile {profile} on {endpoint}; secrets in memory only.</source>
        <translation>Connecté : profil {profile} sur {endpoint} ; secrets en mémoire seulement.</translation>
    </message>
    <message>
        <source>Add an OVHcloud account — ovhkvm-desktop</source>
        <translation>Ajouter un compte OVHcloud — ovhkvm-desktop</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Annuler</translation>
    </message>
    <message>
        <source>Log in</source>
        <translation>Se connecter</translation>
    </message>
    <message>
        <source>Log in with an application of your OVHcloud account. The app then asks OVHcloud for a consumer key that you grant on OVHcloud&apos;s page, limited to what the app needs (list, read, open consoles and rescue servers). Secrets go to your system&apos;s keyring only.</source>
        <translation>Connectez-vous avec une application de votre compte OVHcloud. L&apos;application demande alors à OVHcloud une clé de consommateur, que vous validez sur la page d&apos;OVHcloud, limitée à ce dont elle a besoin (lister, consulter, ouvrir les consoles et passer les serveurs en mode rescue). Les secrets ne sont conservés que dans le trousseau de votre système.</translation>
    </message>
    <message>
        <source>a name for this account, e.g. work</source>
        <translation>un nom pour ce compte, par exemple travail</translation>
    </message>
    <message>
        <source>{name} ({endpoint})</source>
        <translation>{name} ({endpoint})</translation>
    </message>
    <message>
        <source>Profile name:</source>
        <translation>Nom du profil :</translation>
    </message>
    <message>
        <source>Endpoint:</source>
        <translation>Point d&apos;accès :</translation>
    </message>
    <message>
        <source>Application key:</source>
        <translation>Clé d&apos;application :</translation>
    </message>
    <message>
        <source>Application secret:</source>
        <translation>Secret d&apos;application :</translation>
    </message>
    <message>
        <source>No application yet? &lt;a href=&quot;{url}&quot;&gt;Create one&lt;/a&gt; (any name and description), then copy its key and secret here.</source>
        <translation>Pas encore d&apos;application ? &lt;a href=&quot;{url}&quot;&gt;Créez-en une&lt;/a&gt; (nom et description au choix), puis copiez ici sa clé et son secret.</translation>
    </message>
    <message>
        <source>Grant the access on OVHcloud&apos;s page</source>
        <translation>Autorisez l&apos;accès sur la page d&apos;OVHcloud</translation>
    </message>
    <message>
        <source>Log in to OVHcloud there and validate. If no page opened, click this link:</source>
        <translation>Connectez-vous à OVHcloud sur cette page et validez. Si aucune page ne s&apos;est ouverte, cliquez sur ce lien :</translation>
    </message>
    <message>
        <source>Both the application key and the application secret are needed.</source>
        <translation>La clé d&apos;application et le secret d&apos;application sont tous deux nécessaires.</translation>
    </message>
    <message>
        <source>Asking OVHcloud…</source>
        <translation>Demande à OVHcloud…</translation>
    </message>
    <message>
        <source>Waiting for the validation: {minutes}:{seconds:02d} left</source>
        <translation>En attente de la validation : encore {minutes}:{seconds:02d}</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Open console</source>
        <translation>Ouvrir la console</translation>
    </message>
    <message>
        <source>Open the console of the selected server (Enter)</source>
        <translation>Ouvrir la console du serveur sélectionné (Entrée)</translation>
    </message>
    <message>
        <source>Open full screen</source>
        <translation>Ouvrir en plein écran</translation>
    </message>
    <message>
        <source>Favourite</source>
        <translation>Favori</translation>
    </message>
    <message>
        <source>Pin the server on top of the list and in the tray icon&apos;s menu</source>
        <translation>Épingler le serveur en haut de la liste et dans le menu de l&apos;icône de la zone de notification</translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation>Paramètres…</translation>
    </message>
    <message>
        <source>Rescue…</source>
        <translation>Mode rescue…</translation>
    </message>
    <message>
        <source>Reboot the selected VPS into OVHcloud&apos;s rescue system and open its console</source>
        <translation>Redémarrer le VPS sélectionné en mode rescue OVHcloud et ouvrir sa console</translation>
    </message>
    <message>
        <source>Connect to address…</source>
        <translation>Se connecter à une adresse…</translation>
    </message>
    <message>
        <source>Open a console by its vnc://, ws://, wss:// or noVNC URL</source>
        <translation>Ouvrir une console par son URL vnc://, ws://, wss:// ou noVNC</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Actualiser</translation>
    </message>
    <message>
        <source>Add account…</source>
        <translation>Ajouter un compte…</translation>
    </message>
    <message>
        <source>Log an OVHcloud account in (a new profile)</source>
        <translation>Connecter un compte OVHcloud (un nouveau profil)</translation>
    </message>
    <message>
        <source>Copy service name</source>
        <translation>Copier le nom du service</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Quitter</translation>
    </message>
    <message>
        <source>Filter</source>
        <translation>Filtrer</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Fichier</translation>
    </message>
    <message>
        <source>&amp;Server</source>
        <translation>&amp;Serveur</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Affichage</translation>
    </message>
    <message>
        <source>Servers</source>
        <translation>Serveurs</translation>
    </message>
    <message>
        <source>Filter servers by name, state, model, zone, profile…</source>
        <translation>Filtrer les serveurs par nom, état, modèle, zone, profil…</translation>
    </message>
    <message>
        <source>Loading the servers…</source>
        <translation>Chargement des serveurs…</translation>
    </message>
    <message>
        <source>No account yet</source>
        <translation>Aucun compte pour l&apos;instant</translation>
    </message>
    <message>
        <source>Add an OVHcloud account to list your VPS and dedicated servers here and open their KVM consoles in this app, typing exactly what you type whatever the keyboard layouts. No account? Connect to any VNC console by its address, or try the demo console, served by the app itself.</source>
        <translation>Ajoutez un compte OVHcloud pour lister ici vos VPS et serveurs dédiés et ouvrir leur console KVM dans cette application : ce que vous tapez arrive tel quel, quelles que soient les dispositions de clavier. Pas de compte ? Connectez-vous à n&apos;importe quelle console VNC par son adresse, ou essayez la console de démonstration, servie par l&apos;application elle-même.</translation>
    </message>
    <message>
        <source>Add an OVHcloud account…</source>
        <translation>Ajouter un compte OVHcloud…</translation>
    </message>
    <message>
        <source>Try the demo console</source>
        <translation>Essayer la console de démonstration</translation>
    </message>
    <message>
        <source>No servers</source>
        <translation>Aucun serveur</translation>
    </message>
    <message>
        <source>There is no VPS or dedicated server in this account.</source>
        <translation>Ce compte n&apos;a aucun VPS ni serveur dédié.</translation>
    </message>
    <message>
        <source>There is no VPS or dedicated server in these accounts.</source>
        <translation>Ces comptes n&apos;ont aucun VPS ni serveur dédié.</translation>
    </message>
    <message>
        <source>Log in again…</source>
        <translation>Se reconnecter…</translation>
    </message>
    <message>
        <source>No server matches “{text}”</source>
        <translation>Aucun serveur ne correspond à « {text} »</translation>
    </message>
    <message numerus="yes">
        <source>{shown} of %n servers</source>
        <translation>
            <numerusform>{shown} sur %n serveur</numerusform>
            <numerusform>{shown} sur %n serveurs</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n servers</source>
        <translation>
            <numerusform>%n serveur</numerusform>
            <numerusform>%n serveurs</numerusform>
        </translation>
    </message>
    <message>
        <source>1 server</source>
        <translation>1 serveur</translation>
    </message>
    <message>
        <source>Open KVM in browser</source>
        <translation>Ouvrir le KVM dans le navigateur</translation>
    </message>
    <message>
        <source>Copied {service}</source>
        <translation>{service} copié</translation>
    </message>
    <message>
        <source>Opening {server}…</source>
        <translation>Ouverture de {server}…</translation>
    </message>
    <message>
        <source>the console of {server}</source>
        <translation>la console de {server}</translation>
    </message>
    <message>
        <source>The KVM of {server} is open in your browser</source>
        <translation>Le KVM de {server} est ouvert dans votre navigateur</translation>
    </message>
    <message>
        <source>No browser could be started: open &lt;a href=&quot;{url}&quot;&gt;the KVM page of {server}&lt;/a&gt; yourself (link valid for 15 min).</source>
        <translation>Aucun navigateur n&apos;a pu être lancé : ouvrez vous-même &lt;a href=&quot;{url}&quot;&gt;la page KVM de {server}&lt;/a&gt; (lien valable 15 min).</translation>
    </message>
    <message>
        <source>Opened {server}</source>
        <translation>{server} ouvert</translation>
    </message>
    <message>
        <source>Console ready</source>
        <translation>Console prête</translation>
    </message>
    <message>
        <source>{console} is ready.</source>
        <translation>{console} est prête.</translation>
    </message>
    <message>
        <source>{console} was disconnected: {reason}</source>
        <translation>{console} a été déconnectée : {reason}</translation>
    </message>
    <message>
        <source>Console dropped</source>
        <translation>Console interrompue</translation>
    </message>
    <message>
        <source>no reason given</source>
        <translation>aucune raison donnée</translation>
    </message>
    <message>
        <source>Cannot open {server}: {reason}</source>
        <translation>Impossible d&apos;ouvrir {server} : {reason}</translation>
    </message>
    <message>
        <source>the demo console</source>
        <translation>la console de démonstration</translation>
    </message>
    <message>
        <source>Reading {server}…</source>
        <translation>Lecture de {server}…</translation>
    </message>
    <message>
        <source>Rescue — ovhkvm-desktop</source>
        <translation>Mode rescue — ovhkvm-desktop</translation>
    </message>
    <message>
        <source>This takes a few minutes; the console then opens full screen on the rescue system. Its progress shows at the bottom of this window.</source>
        <translation>Cela prend quelques minutes ; la console s&apos;ouvre ensuite en plein écran sur le système de rescue. L&apos;avancement s&apos;affiche en bas de cette fenêtre.</translation>
    </message>
    <message>
        <source>Reboot into rescue</source>
        <translation>Redémarrer en mode rescue</translation>
    </message>
    <message>
        <source>Rescue of {server} cancelled: nothing was changed</source>
        <translation>Mode rescue de {server} annulé : rien n&apos;a été modifié</translation>
    </message>
    <message>
        <source>Rebooting {server} into rescue mode…</source>
        <translation>Redémarrage de {server} en mode rescue…</translation>
    </message>
    <message>
        <source>Rescue mode</source>
        <translation>Mode rescue</translation>
    </message>
    <message>
        <source>{server} rebooted into rescue mode: its console opens.</source>
        <translation>{server} a redémarré en mode rescue : sa console s&apos;ouvre.</translation>
    </message>
    <message>
        <source>{server} is in rescue mode: its root password is sent to the account&apos;s e-mail address.</source>
        <translation>{server} est en mode rescue : son mot de passe root est envoyé à l&apos;adresse e-mail du compte.</translation>
    </message>
    <message>
        <source>the rescue console of {server}</source>
        <translation>la console rescue de {server}</translation>
    </message>
    <message>
        <source>Rescue of {server} failed: {reason}</source>
        <translation>Échec du mode rescue de {server} : {reason}</translation>
    </message>
    <message>
        <source>The settings cannot be saved: the settings file is damaged</source>
        <translation>Impossible d&apos;enregistrer les paramètres : le fichier des paramètres est endommagé</translation>
    </message>
    <message>
        <source>Settings saved</source>
        <translation>Paramètres enregistrés</translation>
    </message>
    <message>
        <source>ovhkvm-desktop is still running</source>
        <translation>ovhkvm-desktop fonctionne toujours</translation>
    </message>
    <message>
        <source>Your servers are in the tray icon&apos;s menu. Quit from that menu.</source>
        <translation>Vos serveurs sont dans le menu de l&apos;icône de la zone de notification. Quittez depuis ce menu.</translation>
    </message>
</context>
<context>
    <name>MessageBar</name>
    <message>
        <source>Dismiss</source>
        <translation>Masquer</translation>
    </message>
</context>
<context>
    <name>ScreenTextCopier</name>
    <message>
        <source>This screen is not a text console: nothing copied</source>
        <translation>Cet écran n&apos;est pas une console texte : rien n&apos;a été copié</translation>
    </message>
    <message>
        <source>Only blank cells there: nothing copied</source>
        <translation>Uniquement des cases vides : rien n&apos;a été copié</translation>
    </message>
    <message>
        <source>Copied 1 character</source>
        <translation>1 caractère copié</translation>
    </message>
    <message>
        <source>Copied {count} characters</source>
        <translation>{count} caractères copiés</translation>
    </message>
    <message>
        <source>Copied {count} characters (1 cell unreadable, shown as {mark})</source>
        <translation>{count} caractères copiés (1 case illisible, remplacée par {mark})</translation>
    </message>
    <message>
        <source>Copied {count} characters ({cells} cells unreadable, shown as {mark})</source>
        <translation>{count} caractères copiés ({cells} cases illisibles, remplacées par {mark})</translation>
    </message>
    <message>
        <source>No screen yet: nothing copied</source>
        <translation>Pas encore d&apos;écran : rien n&apos;a été copié</translation>
    </message>
    <message>
        <source>Could not read the screen: {reason}</source>
        <translation>Impossible de lire l&apos;écran : {reason}</translation>
    </message>
</context>
<context>
    <name>SendKeys</name>
    <message>
        <source>{keys}  ({what})</source>
        <translation>{keys}  ({what})</translation>
    </message>
    <message>
        <source>Ctrl+Alt+Del</source>
        <translation>Ctrl+Alt+Suppr</translation>
    </message>
    <message>
        <source>Ctrl+Alt+Backspace</source>
        <translation>Ctrl+Alt+Retour arrière</translation>
    </message>
    <message>
        <source>keyboard to raw</source>
        <translation>clavier en mode brut</translation>
    </message>
    <message>
        <source>terminate all</source>
        <translation>terminer tous les processus</translation>
    </message>
    <message>
        <source>kill all</source>
        <translation>tuer tous les processus</translation>
    </message>
    <message>
        <source>sync</source>
        <translation>synchroniser les disques</translation>
    </message>
    <message>
        <source>remount read-only</source>
        <translation>remonter en lecture seule</translation>
    </message>
    <message>
        <source>reboot</source>
        <translation>redémarrer</translation>
    </message>
    <message>
        <source>Print</source>
        <translation>Impr. écran</translation>
    </message>
    <message>
        <source>Esc</source>
        <translation>Échap</translation>
    </message>
</context>
<context>
    <name>ServerList</name>
    <message>
        <source>Name</source>
        <translation>Nom</translation>
    </message>
    <message>
        <source>Service</source>
        <translation>Service</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Type</translation>
    </message>
    <message>
        <source>State</source>
        <translation>État</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modèle</translation>
    </message>
    <message>
        <source>Zone</source>
        <translation>Zone</translation>
    </message>
    <message>
        <source>Profile</source>
        <translation>Profil</translation>
    </message>
    <message>
        <source>VPS</source>
        <translation>VPS</translation>
    </message>
    <message>
        <source>Dedicated</source>
        <translation>Dédié</translation>
    </message>
    <message>
        <source>{server} — {kind}, {state}</source>
        <translation>{server} — {kind}, {state}</translation>
    </message>
    <message>
        <source>profile {profile}</source>
        <translation>profil {profile}</translation>
    </message>
    <message>
        <source>favourite</source>
        <translation>favori</translation>
    </message>
    <message>
        <source>keyboard: {keymap}</source>
        <translation>clavier : {keymap}</translation>
    </message>
    <message>
        <source>its KVM opens in the browser</source>
        <translation>son KVM s&apos;ouvre dans le navigateur</translation>
    </message>
    <message>
        <source>State:</source>
        <translation>État :</translation>
    </message>
    <message>
        <source>Model:</source>
        <translation>Modèle :</translation>
    </message>
    <message>
        <source>Zone:</source>
        <translation>Zone :</translation>
    </message>
    <message>
        <source>Keyboard (keymap):</source>
        <translation>Clavier (keymap) :</translation>
    </message>
    <message>
        <source>Boots from (netboot):</source>
        <translation>Démarre sur (netboot) :</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>inconnu</translation>
    </message>
    <message>
        <source>not used (its KVM opens in the browser)</source>
        <translation>non utilisé (son KVM s&apos;ouvre dans le navigateur)</translation>
    </message>
    <message>
        <source>none (the server forwards key codes)</source>
        <translation>aucun (le serveur transmet les codes des touches)</translation>
    </message>
    <message>
        <source>running</source>
        <translation>en marche</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>arrêté</translation>
    </message>
    <message>
        <source>stopping</source>
        <translation>en cours d&apos;arrêt</translation>
    </message>
    <message>
        <source>rebooting</source>
        <translation>en redémarrage</translation>
    </message>
    <message>
        <source>in rescue mode</source>
        <translation>en mode rescue</translation>
    </message>
    <message>
        <source>installing</source>
        <translation>en cours d&apos;installation</translation>
    </message>
    <message>
        <source>in maintenance</source>
        <translation>en maintenance</translation>
    </message>
    <message>
        <source>upgrading</source>
        <translation>en cours de mise à niveau</translation>
    </message>
    <message>
        <source>expired</source>
        <translation>expiré</translation>
    </message>
    <message>
        <source>in error</source>
        <translation>en erreur</translation>
    </message>
    <message>
        <source>blocked (hacked)</source>
        <translation>bloqué (piratage)</translation>
    </message>
    <message>
        <source>its own disk (local)</source>
        <translation>son propre disque (local)</translation>
    </message>
    <message>
        <source>the rescue system (rescue)</source>
        <translation>le système de rescue (rescue)</translation>
    </message>
    <message>
        <source>its own disk (hd)</source>
        <translation>son propre disque (hd)</translation>
    </message>
    <message>
        <source>the network (network)</source>
        <translation>le réseau (network)</translation>
    </message>
</context>
<context>
    <name>ServerTray</name>
    <message>
        <source>{server} — VPS, {state}</source>
        <translation>{server} — VPS, {state}</translation>
    </message>
    <message>
        <source>{server} — dedicated, KVM in browser, {state}</source>
        <translation>{server} — dédié, KVM dans le navigateur, {state}</translation>
    </message>
    <message>
        <source>Favourites</source>
        <translation>Favoris</translation>
    </message>
    <message>
        <source>Recent consoles</source>
        <translation>Consoles récentes</translation>
    </message>
    <message>
        <source>Its password or token was not kept: type it again</source>
        <translation>Son mot de passe ou son jeton n&apos;a pas été conservé : saisissez-le à nouveau</translation>
    </message>
    <message>
        <source>All servers</source>
        <translation>Tous les serveurs</translation>
    </message>
    <message>
        <source>Loading the servers…</source>
        <translation>Chargement des serveurs…</translation>
    </message>
    <message>
        <source>No account yet</source>
        <translation>Aucun compte pour l&apos;instant</translation>
    </message>
    <message>
        <source>No servers</source>
        <translation>Aucun serveur</translation>
    </message>
    <message>
        <source>Show window</source>
        <translation>Afficher la fenêtre</translation>
    </message>
    <message>
        <source>Connect to address…</source>
        <translation>Se connecter à une adresse…</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Quitter</translation>
    </message>
    <message>
        <source>{count} more in the window…</source>
        <translation>{count} de plus dans la fenêtre…</translation>
    </message>
    <message>
        <source>ovhkvm-desktop — 1 server</source>
        <translation>ovhkvm-desktop — 1 serveur</translation>
    </message>
    <message numerus="yes">
        <source>ovhkvm-desktop — %n servers</source>
        <translation>
            <numerusform>ovhkvm-desktop — %n serveur</numerusform>
            <numerusform>ovhkvm-desktop — %n serveurs</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>ScrollLock</source>
        <translation>Arrêt défil</translation>
    </message>
    <message>
        <source>Settings — ovhkvm-desktop</source>
        <translation>Paramètres — ovhkvm-desktop</translation>
    </message>
    <message>
        <source>The app</source>
        <translation>L&apos;application</translation>
    </message>
    <message>
        <source>The system&apos;s language</source>
        <translation>La langue du système</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>Langue :</translation>
    </message>
    <message>
        <source>A new language shows when the app starts again.</source>
        <translation>Une nouvelle langue s&apos;affiche au prochain démarrage de l&apos;application.</translation>
    </message>
    <message>
        <source>Start hidden in the tray</source>
        <translation>Démarrer masquée dans la zone de notification</translation>
    </message>
    <message>
        <source>Closing the window keeps the app in the tray</source>
        <translation>Fermer la fenêtre laisse l&apos;application dans la zone de notification</translation>
    </message>
    <message>
        <source>This desktop has no tray: closing the window quits the app.</source>
        <translation>Ce bureau n&apos;a pas de zone de notification : fermer la fenêtre quitte l&apos;application.</translation>
    </message>
    <message>
        <source>Remember where the window was and its size</source>
        <translation>Retenir la position et la taille de la fenêtre</translation>
    </message>
    <message>
        <source>New consoles</source>
        <translation>Nouvelles consoles</translation>
    </message>
    <message>
        <source>Scaling:</source>
        <translation>Mise à l&apos;échelle :</translation>
    </message>
    <message>
        <source>Keyboard mode:</source>
        <translation>Mode du clavier :</translation>
    </message>
    <message>
        <source>Guest system:</source>
        <translation>Système invité :</translation>
    </message>
    <message>
        <source>Console menu key:</source>
        <translation>Touche du menu de la console :</translation>
    </message>
    <message>
        <source> ms</source>
        <translation> ms</translation>
    </message>
    <message>
        <source>Default ({delay} ms)</source>
        <translation>Par défaut ({delay} ms)</translation>
    </message>
    <message>
        <source>The pause between keys when the app types text (Type text, Send keys)</source>
        <translation>La pause entre deux touches quand l&apos;application tape du texte (Taper du texte, Envoyer des touches)</translation>
    </message>
    <message>
        <source>Key delay:</source>
        <translation>Délai entre les touches :</translation>
    </message>
    <message>
        <source>Clipboard of a server not yet chosen for</source>
        <translation>Presse-papiers d&apos;un serveur pas encore réglé</translation>
    </message>
    <message>
        <source>Send my clipboard to the server</source>
        <translation>Envoyer mon presse-papiers au serveur</translation>
    </message>
    <message>
        <source>While its window is active, what you copy goes to the server&apos;s clipboard</source>
        <translation>Tant que sa fenêtre est active, ce que vous copiez part dans le presse-papiers du serveur</translation>
    </message>
    <message>
        <source>Take the server&apos;s clipboard automatically</source>
        <translation>Récupérer automatiquement le presse-papiers du serveur</translation>
    </message>
    <message>
        <source>While its window is active, what the server copies replaces your clipboard</source>
        <translation>Tant que sa fenêtre est active, ce que le serveur copie remplace votre presse-papiers</translation>
    </message>
    <message>
        <source>Each console&apos;s Console menu changes this for its server, and that choice is remembered. Text that came from one server never goes to another by itself.</source>
        <translation>Le menu Console de chaque console change ce réglage pour son serveur, et ce choix est retenu. Un texte venu d&apos;un serveur ne part jamais de lui-même vers un autre.</translation>
    </message>
</context>
<context>
    <name>TypeTextDialog</name>
    <message>
        <source>Type text</source>
        <translation>Taper du texte</translation>
    </message>
    <message>
        <source>The text to type (new lines are typed as Enter)</source>
        <translation>Le texte à taper (les retours à la ligne sont tapés comme Entrée)</translation>
    </message>
    <message>
        <source>%v of %m key events</source>
        <translation>%v sur %m événements clavier</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Taper</translation>
    </message>
    <message>
        <source>Cancel typing</source>
        <translation>Annuler la frappe</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Fermer</translation>
    </message>
    <message>
        <source>Typed as key presses in the guest&apos;s &lt;b&gt;{layout}&lt;/b&gt; layout, whatever your own keyboard is.</source>
        <translation>Tapé en frappes de touches dans la disposition &lt;b&gt;{layout}&lt;/b&gt; de l&apos;invité, quel que soit votre propre clavier.</translation>
    </message>
    <message>
        <source>The {layout} layout cannot type {characters}: these characters will be left out.</source>
        <translation>La disposition {layout} ne peut pas taper {characters} : ces caractères seront omis.</translation>
    </message>
    <message>
        <source>Typing…</source>
        <translation>Frappe en cours…</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>Annulé.</translation>
    </message>
    <message>
        <source>Typed.</source>
        <translation>Tapé.</translation>
    </message>
    <message>
        <source>“{character}”</source>
        <translation>« {character} »</translation>
    </message>
</context>
</TS>

/// Well-known free mailbox providers (`free_email:` in fit rules): an address there says
/// little about the company behind it. Matched on the whole domain, case-insensitively.
public enum FreeMailDomains {
    public static func contains(_ domain: Substring) -> Bool { domains.contains(domain.lowercased()) }

    static let domains: Set<String> = [
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "yahoo.es", "yahoo.it",
        "yahoo.co.jp", "yahoo.com.br", "yahoo.ca", "yahoo.in", "ymail.com", "rocketmail.com",
        "hotmail.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "hotmail.it", "hotmail.es", "outlook.com",
        "outlook.fr", "outlook.de", "live.com", "live.co.uk", "live.fr", "msn.com", "passport.com",
        "aol.com", "aim.com", "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com", "pm.me",
        "gmx.com", "gmx.de", "gmx.net", "gmx.at", "gmx.ch", "web.de", "t-online.de", "freenet.de", "mail.com",
        "zoho.com", "zohomail.com", "yandex.com", "yandex.ru", "ya.ru", "mail.ru", "bk.ru", "inbox.ru", "list.ru",
        "rambler.ru", "qq.com", "163.com", "126.com", "sina.com", "yeah.net", "naver.com", "daum.net", "hanmail.net",
        "orange.fr", "wanadoo.fr", "free.fr", "laposte.net", "sfr.fr", "libero.it", "virgilio.it", "tiscali.it",
        "seznam.cz", "wp.pl", "o2.pl", "interia.pl", "onet.pl", "btinternet.com", "sky.com", "virginmedia.com",
        "comcast.net", "verizon.net", "att.net", "sbcglobal.net", "bellsouth.net", "cox.net", "charter.net",
        "earthlink.net", "rediffmail.com", "fastmail.com", "fastmail.fm", "hey.com", "tutanota.com", "tuta.io",
        "mailbox.org", "posteo.de", "bol.com.br", "uol.com.br", "terra.com.br", "shaw.ca", "rogers.com",
        "bigpond.com", "optusnet.com.au", "xtra.co.nz",
    ]
}

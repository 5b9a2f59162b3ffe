import{r as e,t}from"./chunk-SHT3W25Y-mAIFP6vT.js";import"./chunk-POPQ4Y6H-e70hlC12.js";import"./mermaid.core-C5pPNAxf.js";import"./chunk-F27PBJKO-DOB4EjNs.js";import"./chunk-L3NEJ4N5-CkH1XzQU.js";import"./chunk-OSK3NFVY-i2BDxDZf.js";import"./chunk-GVQU2GXP-zzoxnXT4.js";import"./chunk-4HAMMTFA-TWF0qIyT.js";import"./chunk-P2QGCYS3-ISUxXOoa.js";import"./chunk-GMAD6QVW-BoxocYK1.js";import"./chunk-PWAF6VOD-D6W4aaMw.js";import"./chunk-75Z2AOVW-kWbt-q5F.js";import"./chunk-DU6HZSFF-S2uhI-R_.js";import"./chunk-X3CZISLH-CifqmFa4.js";import{n}from"./chunk-Y2CYZVJY-DsF7k-Jl.js";var r=t({defaultLayout:`swimlane`,styles:n(t=>`${e(t)}
  .swimlane.cluster rect {
    stroke: ${t.clusterBorder} !important;
  }
  [data-look="neo"].cluster rect {
    filter: none;
  }
`,`getStyles`)});export{r as diagram};